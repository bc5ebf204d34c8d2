using F5Tts.Api.Auth;
using F5Tts.Api.Realtime;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using F5Tts.Inference.Synthesis;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Endpoints;

/// <summary><c>GET /v1/tts/ws</c>: real-time synthesis over a WebSocket, text in as it is written, audio out as it is made.</summary>
internal static class TtsWebSocketEndpoints
{
    /// <summary>The OpenAPI description of the route: the protocol in brief (docs/realtime.md has it in full).</summary>
    internal const string Description =
        "Real-time synthesis over a WebSocket (connect with `Upgrade: websocket`; without it this route answers with a summary " +
        "of the protocol and its limits). Client → server, JSON text messages: `{\"type\":\"start\",\"voice\":\"default\"," +
        "\"format\":\"pcm\"|\"opus\",\"nfe_steps\",\"speed\",\"seed\",\"cfg_strength\",\"sway\",\"normalize\",\"api_key\"}` once, then " +
        "`{\"type\":\"text\",\"text\":\"…\"}` fragments of any size as they are written, `{\"type\":\"flush\"}` to synthesise what is " +
        "buffered now, and `{\"type\":\"end\"}`. Server → client: `{\"type\":\"started\",\"format\",\"sample_rate\",\"channels\"}`, then " +
        "for each segment `{\"type\":\"segment\",\"index\",\"text\",\"start_s\",\"duration_s\"}` followed by binary messages with its " +
        "audio (PCM s16le 24 kHz mono, or Ogg Opus pages that together form one stream), then `{\"type\":\"done\",\"segments\"," +
        "\"characters\",\"audio_s\"}` and close 1000. Errors: `{\"type\":\"error\",\"problem\",\"detail\",\"close_code\"}`, then close " +
        "with that code: 1003 binary message, 1007 not JSON, 1008 protocol or input error, unknown voice, missing key, idle or " +
        "session limit, 1009 message too big, 1011 synthesis failed, 1013 too many sessions, queue full or not ready. " +
        "API keys: the usual header on the upgrade, or `api_key` in start (browsers).";

    /// <summary>Maps the route.</summary>
    public static IEndpointRouteBuilder MapTtsWebSocketEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ApiKeyMiddleware.RealtimePath, Connect)
            .WithName("RealtimeSynthesize")
            .WithTags("Speech")
            .WithSummary("Real-time speech over a WebSocket: text in as it is written, audio out as it is synthesised")
            .WithDescription(Description)
            .Produces<RealtimeProtocolSummary>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status101SwitchingProtocols);
        return endpoints;
    }

    /// <summary>Runs one session on the upgraded socket, or describes the protocol to a plain GET.</summary>
    internal static async Task<IResult> Connect(
        HttpContext http,
        TtsService tts,
        RealtimeSessions sessions,
        ApiKeys keys,
        IOptions<RealtimeOptions> options,
        F5TtsMetrics metrics,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        var limits = options.Value;
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Results.Ok(RealtimeProtocolSummary.From(limits));
        }

        using var slot = sessions.TryEnter();
        using var open = slot is null ? null : metrics.TrackRealtimeSession();
        using var webSocket = await http.WebSockets.AcceptWebSocketAsync();
        using var socket = new RealtimeSocket(webSocket, limits.MaxMessageBytes);
        var keyPending = http.Items.ContainsKey(ApiKeyMiddleware.KeyPendingItem);
        var session = new TtsWebSocketSession(socket, tts, limits, keys, keyPending, metrics,
            loggers.CreateLogger<TtsWebSocketSession>(), TimeProvider.System);
        await session.RunAsync(slot, lifetime.ApplicationStopping);
        return Results.Empty;
    }
}

/// <summary>What a plain GET of the real-time route answers: how to use it and its limits.</summary>
/// <param name="Protocol">What the route speaks.</param>
/// <param name="Formats">Audio formats of the binary messages.</param>
/// <param name="SampleRate">PCM sample rate.</param>
/// <param name="MaxSessions">Open sessions at most.</param>
/// <param name="MaxMessageBytes">Largest client message.</param>
/// <param name="MaxSessionCharacters">Most text per session.</param>
/// <param name="IdleTimeoutSeconds">Idle limit.</param>
/// <param name="MaxSessionSeconds">Session length limit.</param>
internal sealed record RealtimeProtocolSummary(
    string Protocol,
    IReadOnlyList<string> Formats,
    int SampleRate,
    int MaxSessions,
    int MaxMessageBytes,
    int MaxSessionCharacters,
    int IdleTimeoutSeconds,
    int MaxSessionSeconds)
{
    public static RealtimeProtocolSummary From(RealtimeOptions o) => new(
        "WebSocket: connect with Upgrade: websocket; messages as in docs/realtime.md",
        ["pcm", "opus"], TtsService.SampleRate, o.MaxSessions, o.MaxMessageBytes, o.MaxSessionCharacters, o.IdleTimeoutSeconds, o.MaxSessionSeconds);
}
