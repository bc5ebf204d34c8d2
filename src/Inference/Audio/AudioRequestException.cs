using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>Why an audio or voice request was refused; the HTTP layer maps each kind to one status code.</summary>
public enum AudioErrorKind
{
    /// <summary>Malformed or out-of-range input (HTTP 400).</summary>
    InvalidInput,

    /// <summary>The upload is larger than the configured limit (HTTP 413).</summary>
    TooLarge,

    /// <summary>The bytes are not an audio format the service decodes (HTTP 415).</summary>
    UnsupportedFormat,

    /// <summary>The voice does not exist (HTTP 404).</summary>
    NotFound,

    /// <summary>The voice id is taken or the voice is read-only (HTTP 409).</summary>
    Conflict,
}

/// <summary>
/// A request-level refusal raised by the audio and voice code. It carries a stable machine-readable
/// <see cref="Code"/> (used as the ProblemDetails <c>type</c> suffix) and a message that is safe to show to clients.
/// Kept deliberately small so that it can be folded into the service-wide exception hierarchy later.
/// </summary>
public sealed class AudioRequestException : Exception
{
    public AudioRequestException(AudioErrorKind kind, string code, string message)
        : base(message)
    {
        Kind = kind;
        Code = code;
    }

    public AudioRequestException()
        : this(AudioErrorKind.InvalidInput, "invalid-audio", "Invalid audio.")
    {
    }

    public AudioRequestException(string message)
        : this(AudioErrorKind.InvalidInput, "invalid-audio", message)
    {
    }

    public AudioRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = AudioErrorKind.InvalidInput;
        Code = "invalid-audio";
    }

    /// <summary>Which status class the refusal belongs to.</summary>
    public AudioErrorKind Kind { get; }

    /// <summary>Stable slug naming the cause, e.g. <c>malformed-wav</c>, <c>reference-too-long</c>.</summary>
    public string Code { get; }

    internal static AudioRequestException Malformed(string message) =>
        new(AudioErrorKind.InvalidInput, "malformed-audio", message);

    internal static AudioRequestException Unsupported(string message) =>
        new(AudioErrorKind.UnsupportedFormat, "unsupported-audio", message);
}

/// <summary>Folds audio refusals into the service-wide <see cref="TtsException"/> (one ProblemDetails mapping).</summary>
public static class AudioRequestExceptionExtensions
{
    /// <summary>The same refusal as a <see cref="TtsException"/> of the matching kind, keeping the client-safe message.</summary>
    /// <param name="exception">The audio refusal.</param>
    /// <param name="parameter">The request field holding the audio, e.g. <c>reference.audio</c>.</param>
    public static TtsException ToTtsException(this AudioRequestException exception, string? parameter = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var kind = exception.Kind switch
        {
            AudioErrorKind.TooLarge => TtsErrorKind.PayloadTooLarge,
            AudioErrorKind.UnsupportedFormat => TtsErrorKind.UnsupportedMedia,
            AudioErrorKind.NotFound => TtsErrorKind.VoiceNotFound,
            _ => TtsErrorKind.InvalidInput, // Conflict only arises in the voice library, which answers 409 itself
        };
        return new TtsException(kind, exception.Message, parameter, innerException: exception);
    }
}
