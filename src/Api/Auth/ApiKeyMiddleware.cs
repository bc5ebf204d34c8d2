using System.Security.Cryptography;
using System.Text;
using F5Tts.Api.Errors;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Auth;

/// <summary>
/// Optional API-key check on the API routes (<c>/v1/*</c>). Off when F5Tts:Auth:ApiKeys is empty. Probes, metrics and
/// Swagger stay open: they carry no user data and orchestrators must reach them without secrets.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<AuthOptions> options)
{
    private const string ProtectedPrefix = "/v1";

    // Hashes of the keys: comparing fixed-length digests in constant time leaks neither content nor length.
    private readonly byte[][] _keyHashes = [.. options.Value.ApiKeys
        .Where(k => !string.IsNullOrEmpty(k))
        .Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    public Task InvokeAsync(HttpContext context)
    {
        if (_keyHashes.Length == 0 || !context.Request.Path.StartsWithSegments(ProtectedPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var presented = PresentedKey(context.Request);
        if (presented is not null)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
            var match = false;
            foreach (var key in _keyHashes)
            {
                match |= CryptographicOperations.FixedTimeEquals(hash, key);
            }

            if (match)
            {
                return next(context);
            }
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemResponses.WriteAsync(context, ProblemResponses.Create(
            context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized,
            presented is null
                ? "An API key is required: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'."
                : "The API key is not valid."));
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var apiKey = request.Headers["X-Api-Key"].ToString();
        return apiKey.Length > 0 ? apiKey : null;
    }
}
