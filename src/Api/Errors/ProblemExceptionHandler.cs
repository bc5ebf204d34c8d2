using System.Globalization;
using System.Text.Json;
using F5Tts.Inference.Errors;
using Microsoft.AspNetCore.Diagnostics;

namespace F5Tts.Api.Errors;

/// <summary>
/// The single place exceptions become HTTP responses. <see cref="TtsException"/> (the root of every domain error:
/// text, voice, audio, queue, deadline) maps by kind to a status, and by its code — or else its kind — to a type;
/// framework
/// <see cref="BadHttpRequestException"/>s (malformed JSON, wrong JSON types, body too large, wrong content type) keep
/// their status with a specific type; a client that went away gets nothing; anything else is a 500 whose body says
/// nothing about internals (the log has the exception).
/// </summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger, RejectionLogSampler sampler) : IExceptionHandler
{
    /// <summary>Detail of a 413 for a body over the Kestrel limit (written here or by the status code pages).</summary>
    internal const string BodyTooLargeDetail =
        "The request body is larger than the configured limit (F5Tts:Server:MaxRequestBodyBytes).";

    /// <summary>Detail of a 408 for a body that arrived too slowly (written here or by the status code pages).</summary>
    internal const string BodyTooSlowDetail =
        "The request body arrived too slowly (Kestrel's minimum request body data rate); send it without pausing.";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            // Headers (and maybe audio) are already out: nothing sensible can be written; abort so the client notices.
            // A client that went away mid-stream is no fault of the service (the request log shows it as 499).
            if (httpContext.RequestAborted.IsCancellationRequested)
            {
                if (sampler.ShouldLog("cancelled", out var dropped))
                {
                    LogCancelled(httpContext.Request.Path, dropped);
                }
            }
            else
            {
                LogAfterStart(exception, httpContext.Request.Path);
            }

            httpContext.Abort();
            return true;
        }

        switch (exception)
        {
            case TtsException { Kind: TtsErrorKind.Cancelled }:
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                if (sampler.ShouldLog("cancelled", out var quiet))
                {
                    LogCancelled(httpContext.Request.Path, quiet);
                }

                httpContext.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                return true;

            case TtsException tts:
            {
                var status = ProblemTypes.StatusFor(tts.Kind);
                var problem = tts.Code is { } code
                    ? ProblemResponses.Create(httpContext, status, ProblemTypes.ForCode(code), tts.Message, ProblemTypes.TitleForCode(code))
                    : ProblemResponses.Create(httpContext, status, ProblemTypes.For(tts.Kind), tts.Message);
                if (tts.Parameter is not null)
                {
                    problem.Extensions["parameter"] = tts.Parameter;
                }

                if (tts.RetryAfter is { } retryAfter)
                {
                    var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                    httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                LogSampled(problem.Type!, status, tts.Message);
                await ProblemResponses.WriteAsync(httpContext, problem);
                return true;
            }

            case BadHttpRequestException bad:
            {
                var (type, detail) = Classify(bad);
                LogSampled(type, bad.StatusCode, detail);
                await ProblemResponses.WriteAsync(httpContext, ProblemResponses.Create(httpContext, bad.StatusCode, type, detail));
                return true;
            }

            default:
                LogUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
                await ProblemResponses.WriteAsync(httpContext, ProblemResponses.Create(
                    httpContext, StatusCodes.Status500InternalServerError, ProblemTypes.InternalError,
                    "An unexpected error occurred. The server log has the details under this traceId."));
                return true;
        }
    }

    private static (string Type, string Detail) Classify(BadHttpRequestException bad)
    {
        if (FindJsonException(bad) is { } json)
        {
            // JsonException messages name the JSON path and position only (no internals), which is what a client needs.
            return (ProblemTypes.MalformedJson, $"The request body is not valid JSON for this endpoint: {json.Message}");
        }

        return bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge =>
                (ProblemTypes.PayloadTooLarge, BodyTooLargeDetail),
            StatusCodes.Status415UnsupportedMediaType =>
                (ProblemTypes.UnsupportedContentType, bad.Message),
            StatusCodes.Status408RequestTimeout =>
                (ProblemTypes.RequestTimeout, BodyTooSlowDetail),
            _ => (BadRequestType(bad.StatusCode), bad.Message),
        };
    }

    private static string BadRequestType(int status)
    {
        var type = ProblemTypes.ForStatus(status);
        return type == ProblemTypes.Generic ? ProblemTypes.BadRequest : type;
    }

    private static JsonException? FindJsonException(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    // A flood of one cause (429s under overload, 400s from a broken client) writes one line a second, with a count.
    private void LogSampled(string reason, int status, string detail)
    {
        if (sampler.ShouldLog(reason, out var suppressed))
        {
            LogClientError(reason, status, detail, suppressed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Client error {Reason} ({Status}): {Detail} (+{Suppressed} of this cause not logged)")]
    private partial void LogClientError(string reason, int status, string detail, long suppressed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {Path} cancelled by the client (+{Suppressed} cancellations not logged)")]
    private partial void LogCancelled(PathString path, long suppressed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception in {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Exception after the response started in {Path}; connection aborted")]
    private partial void LogAfterStart(Exception exception, PathString path);
}
