using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using F5Tts.Api.Contracts;
using F5Tts.Api.Errors;
using F5Tts.Inference.Errors;

namespace F5Tts.Api.Realtime;

/// <summary>The close codes of the real-time route (docs/realtime.md "Close codes"; RFC 6455 section 7.4.1).</summary>
internal static class RealtimeCloseCodes
{
    /// <summary>The audio is complete (after <c>done</c>).</summary>
    public const WebSocketCloseStatus Done = WebSocketCloseStatus.NormalClosure;

    /// <summary>The service is shutting down.</summary>
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>A binary message from the client: the client sends JSON text only.</summary>
    public const WebSocketCloseStatus BinaryMessage = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>A message that is not JSON (or not UTF-8), not an object, or a field of the wrong JSON type.</summary>
    public const WebSocketCloseStatus MalformedMessage = WebSocketCloseStatus.InvalidPayloadData;

    /// <summary>Out of protocol or refused: unknown type, text before start, invalid settings, unknown voice, no key, limits.</summary>
    public const WebSocketCloseStatus Refused = WebSocketCloseStatus.PolicyViolation;

    /// <summary>A message over F5Tts:Realtime:MaxMessageBytes.</summary>
    public const WebSocketCloseStatus TooBig = WebSocketCloseStatus.MessageTooBig;

    /// <summary>Synthesis failed (engine fault, deadline).</summary>
    public const WebSocketCloseStatus Failed = WebSocketCloseStatus.InternalServerError;

    /// <summary>Try again later: too many sessions, the queue is full, or the model is still loading.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;
}

/// <summary>An error that ends a session: sent as an <c>error</c> message, then the socket closes with <see cref="CloseCode"/>.</summary>
internal sealed class SessionError(string problem, string detail, WebSocketCloseStatus closeCode, RequestOutcomeReason reason)
    : Exception(detail)
{
    /// <summary>The problem type (<see cref="ProblemTypes"/>).</summary>
    public string Problem { get; } = problem;

    public WebSocketCloseStatus CloseCode { get; } = closeCode;

    /// <summary>How the session is counted in <c>f5tts_requests_total</c>.</summary>
    public RequestOutcomeReason Reason { get; } = reason;

    public static SessionError Protocol(string detail) =>
        new(ProblemTypes.ProtocolError, detail, RealtimeCloseCodes.Refused, RequestOutcomeReason.ClientError);

    public static SessionError Binary() => new(
        ProblemTypes.ProtocolError, "Binary messages are not accepted: the client sends JSON text messages (start, text, flush, end).",
        RealtimeCloseCodes.BinaryMessage, RequestOutcomeReason.ClientError);

    public static SessionError Malformed(string detail) =>
        new(ProblemTypes.MalformedJson, detail, RealtimeCloseCodes.MalformedMessage, RequestOutcomeReason.ClientError);

    /// <summary>A synthesis error as the HTTP routes would report it, with the close code of its kind.</summary>
    public static SessionError From(TtsException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var problem = ex.Code is { } code ? ProblemTypes.ForCode(code) : ProblemTypes.For(ex.Kind);
        var (close, reason) = ex.Kind switch
        {
            TtsErrorKind.QueueFull or TtsErrorKind.NotReady => (RealtimeCloseCodes.TryAgainLater, RequestOutcomeReason.Rejected),
            TtsErrorKind.DeadlineExceeded => (RealtimeCloseCodes.Failed, RequestOutcomeReason.Timeout),
            _ => (RealtimeCloseCodes.Refused, RequestOutcomeReason.ClientError),
        };
        return new SessionError(problem, ex.Message, close, reason);
    }
}

/// <summary>How a failed session is counted (the outcome label of <c>f5tts_requests_total</c>).</summary>
internal enum RequestOutcomeReason
{
    ClientError,
    Rejected,
    Timeout,
    Error,
}

/// <summary>A message from the client.</summary>
internal abstract record ClientMessage
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.Strict };

    /// <summary>Parses one text message (UTF-8 JSON); throws <see cref="SessionError"/> for anything else.</summary>
    public static ClientMessage Parse(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException ex)
        {
            throw SessionError.Malformed($"The message is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                throw SessionError.Malformed("A message must be a JSON object with a string \"type\".");
            }

            return type.GetString() switch
            {
                "start" => new StartMessage(Deserialize<StartSettings>(root)),
                "text" => root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                    ? new TextMessage(text.GetString()!)
                    : throw SessionError.Malformed("A \"text\" message needs a string \"text\"."),
                "flush" => new FlushMessage(),
                "end" => new EndMessage(),
                var other => throw SessionError.Protocol(
                    $"Unknown message type '{Shorten(other)}'; the client sends start, text, flush and end."),
            };
        }
    }

    private static T Deserialize<T>(JsonElement element)
    {
        try
        {
            return element.Deserialize<T>(Json)!;
        }
        catch (JsonException ex)
        {
            throw SessionError.Malformed($"The {typeof(T).Name} has a field of the wrong type: {ex.Message}");
        }
    }

    private static string Shorten(string? value) => value is null ? string.Empty : value.Length > 40 ? value[..40] + "…" : value;
}

/// <summary><c>{"type":"start", …}</c>: the voice, format and sampler settings of the session, once, first.</summary>
internal sealed record StartMessage(StartSettings Settings) : ClientMessage;

/// <summary>The fields of a start message: those of <c>POST /v1/tts</c> (voice, sampler) and the session's own.</summary>
internal sealed class StartSettings : SynthesisSettingsDto
{
    /// <summary><c>pcm</c> (s16le 24 kHz mono, the default) or <c>opus</c> (one Ogg Opus stream).</summary>
    [JsonPropertyName("format")]
    public string? Format { get; init; }

    [JsonPropertyName("normalize")]
    public bool? Normalize { get; init; }

    /// <summary>The API key, for clients that cannot set headers on the upgrade (browsers).</summary>
    [JsonPropertyName("api_key")]
    public string? ApiKey { get; init; }
}

/// <summary><c>{"type":"text","text":"…"}</c>: more text, any size.</summary>
internal sealed record TextMessage(string Text) : ClientMessage;

/// <summary><c>{"type":"flush"}</c>: synthesise what is buffered now.</summary>
internal sealed record FlushMessage : ClientMessage;

/// <summary><c>{"type":"end"}</c>: no more text; the session ends after the last audio.</summary>
internal sealed record EndMessage : ClientMessage;
