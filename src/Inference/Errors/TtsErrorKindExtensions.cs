namespace F5Tts.Inference.Errors;

/// <summary>Stable, low-cardinality names of <see cref="TtsErrorKind"/> values.</summary>
public static class TtsErrorKindExtensions
{
    /// <summary>
    /// The kebab-case slug of a kind (e.g. <c>queue-full</c>). It is part of the public contract: the Api builds the
    /// ProblemDetails <c>type</c> from it and the metrics use it as the <c>reason</c> label, so never rename one.
    /// </summary>
    public static string ToSlug(this TtsErrorKind kind) => kind switch
    {
        TtsErrorKind.InvalidInput => "invalid-input",
        TtsErrorKind.VoiceNotFound => "voice-not-found",
        TtsErrorKind.PayloadTooLarge => "payload-too-large",
        TtsErrorKind.UnsupportedMedia => "unsupported-media",
        TtsErrorKind.NoSpeakableText => "no-speakable-text",
        TtsErrorKind.QueueFull => "queue-full",
        TtsErrorKind.NotReady => "not-ready",
        TtsErrorKind.DeadlineExceeded => "deadline-exceeded",
        TtsErrorKind.Conflict => "conflict",
        TtsErrorKind.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown TtsErrorKind."),
    };
}
