using System.Text;
using F5Tts.Api.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace F5Tts.Api.Errors;

/// <summary>
/// Refuses, as problem details, the requests Kestrel would refuse with a bare status or the framework with a 500:
/// a request target or header section over the configured limits (414, 431; Kestrel's own, looser limits only stop
/// what is far beyond them) and a Content-Type whose charset names no encoding the service reads (415).
/// It throws <see cref="BadHttpRequestException"/> so that the exception handler writes the problem.
/// </summary>
internal sealed class RequestGuardMiddleware(RequestDelegate next, IOptions<ServerOptions> options)
{
    private readonly ServerOptions _limits = options.Value;

    public Task InvokeAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? string.Empty;
        if (target.Length > _limits.MaxRequestTargetBytes)
        {
            throw new BadHttpRequestException(
                $"The request target is {target.Length} bytes; at most {_limits.MaxRequestTargetBytes} are accepted ({ServerOptions.SectionName}:MaxRequestTargetBytes).",
                StatusCodes.Status414UriTooLong);
        }

        CheckHeaders(context.Request.Headers);
        CheckCharset(context.Request.ContentType);
        return next(context);
    }

    private void CheckHeaders(IHeaderDictionary headers)
    {
        long bytes = 0;
        int count = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                count++;
                bytes += name.Length + (value?.Length ?? 0) + 4; // "name: value\r\n"
            }
        }

        if (count > _limits.MaxRequestHeaderCount || bytes > _limits.MaxRequestHeadersBytes)
        {
            throw new BadHttpRequestException(
                $"The request has {count} headers of {bytes} bytes; at most {_limits.MaxRequestHeaderCount} headers of {_limits.MaxRequestHeadersBytes} bytes are accepted " +
                $"({ServerOptions.SectionName}:MaxRequestHeaderCount, MaxRequestHeadersBytes).",
                StatusCodes.Status431RequestHeaderFieldsTooLarge);
        }
    }

    private static void CheckCharset(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || StringSegment.IsNullOrEmpty(mediaType.Charset))
        {
            return;
        }

        var charset = HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString();
        if (!IsReadable(charset))
        {
            throw new BadHttpRequestException(
                $"The Content-Type charset '{Shorten(charset)}' is not an encoding this service reads; send UTF-8 (charset=utf-8 or none).",
                StatusCodes.Status415UnsupportedMediaType);
        }
    }

    // An encoding .NET knows. Unknown names throw ArgumentException; UTF-7, disabled in .NET (it can smuggle
    // markup), throws NotSupportedException; the framework's JSON reader would turn either into a 500.
    private static bool IsReadable(string charset)
    {
        try
        {
            _ = Encoding.GetEncoding(charset);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
