namespace F5Tts.Inference.Errors;

/// <summary>
/// Why a request cannot be served. Each kind maps to one HTTP status and one stable ProblemDetails <c>type</c>
/// in the Api (docs/architecture.md "The path of a request"); the Inference layer never references HTTP, so the mapping lives there.
/// </summary>
public enum TtsErrorKind
{
    /// <summary>A request field is missing, malformed or out of range (HTTP 400).</summary>
    InvalidInput,

    /// <summary>The named voice does not exist in the registry (HTTP 404).</summary>
    VoiceNotFound,

    /// <summary>Text, reference audio or body exceeds a configured limit (HTTP 413).</summary>
    PayloadTooLarge,

    /// <summary>Reference audio cannot be decoded or is in an unsupported format (HTTP 415).</summary>
    UnsupportedMedia,

    /// <summary>The text yields no tokens the model can speak (HTTP 422).</summary>
    NoSpeakableText,

    /// <summary>The admission queue is full; retry later (HTTP 429 with Retry-After).</summary>
    QueueFull,

    /// <summary>The service is not ready (models loading, warming up or shutting down) (HTTP 503 with Retry-After).</summary>
    NotReady,

    /// <summary>The request outlived its deadline before its audio was produced (HTTP 504).</summary>
    DeadlineExceeded,

    /// <summary>The resource exists already or may not be changed (voice id taken, library full, built-in voice) (HTTP 409).</summary>
    Conflict,

    /// <summary>The client went away; nothing is sent, the outcome is only logged and counted ("499").</summary>
    Cancelled,
}
