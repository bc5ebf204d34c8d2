using F5Tts.Api.Errors;

namespace F5Tts.Api.Auth;

/// <summary>
/// Optional API-key check on the API routes (<c>/v1/*</c>). Off when F5Tts:Auth:ApiKeys is empty. Probes, metrics and
/// Swagger stay open: they carry no user data and orchestrators must reach them without secrets. A WebSocket upgrade
/// to the real-time route without a key header passes: browsers cannot set headers there, so the session asks for the
/// key in its <c>start</c> message (<see cref="KeyPendingItem"/>); a wrong key header is refused here like elsewhere.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeys keys)
{
    /// <summary>HttpContext item set when the real-time session must check the key of its <c>start</c> message.</summary>
    public const string KeyPendingItem = "f5tts.api-key-pending";

    /// <summary>The route whose upgrade may carry its key in the first message.</summary>
    public const string RealtimePath = "/v1/tts/ws";

    private const string ProtectedPrefix = "/v1";

    public Task InvokeAsync(HttpContext context)
    {
        if (!keys.Enabled || !context.Request.Path.StartsWithSegments(ProtectedPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var presented = ApiKeys.Presented(context.Request);
        if (keys.IsValid(presented))
        {
            return next(context);
        }

        if (presented is null && context.WebSockets.IsWebSocketRequest
            && context.Request.Path.Equals(RealtimePath, StringComparison.OrdinalIgnoreCase))
        {
            context.Items[KeyPendingItem] = true;
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemResponses.WriteAsync(context, ProblemResponses.Create(
            context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized,
            presented is null
                ? "An API key is required: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'."
                : "The API key is not valid."));
    }
}
