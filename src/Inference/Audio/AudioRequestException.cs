using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>
/// A refusal raised by the audio and voice code (undecodable clip, reference too long, voice id taken…). It is a
/// <see cref="TtsException"/> that always names its cause in <see cref="TtsException.Code"/> (e.g.
/// <c>malformed-wav</c>, <c>reference-too-long</c>), so the Api maps it with every other domain error.
/// </summary>
public sealed class AudioRequestException : TtsException
{
    /// <summary>Creates a refusal of the given kind and cause.</summary>
    /// <param name="kind">Decides the HTTP status.</param>
    /// <param name="code">Stable slug of the cause (the ProblemDetails <c>type</c> suffix).</param>
    /// <param name="message">Client-safe explanation.</param>
    public AudioRequestException(TtsErrorKind kind, string code, string message)
        : base(kind, message, code: code)
    {
    }

    public AudioRequestException()
        : this(TtsErrorKind.InvalidInput, "invalid-audio", "Invalid audio.")
    {
    }

    public AudioRequestException(string message)
        : this(TtsErrorKind.InvalidInput, "invalid-audio", message)
    {
    }

    public AudioRequestException(string message, Exception innerException)
        : base(TtsErrorKind.InvalidInput, message, innerException: innerException, code: "invalid-audio")
    {
    }

    internal static AudioRequestException Malformed(string message) =>
        new(TtsErrorKind.InvalidInput, "malformed-audio", message);

    internal static AudioRequestException Unsupported(string message) =>
        new(TtsErrorKind.UnsupportedMedia, "unsupported-audio", message);
}

/// <summary>Re-states an audio refusal for a request field of the synthesis endpoints.</summary>
public static class AudioRequestExceptionExtensions
{
    /// <summary>
    /// The same refusal as a plain <see cref="TtsException"/> of the same kind and message for the request field
    /// holding the audio, without the audio-specific code: the synthesis endpoints report inline reference audio by
    /// kind (<c>invalid-input</c>, <c>unsupported-media</c>, <c>payload-too-large</c>) and name the field instead.
    /// </summary>
    /// <param name="exception">The audio refusal.</param>
    /// <param name="parameter">The request field holding the audio, e.g. <c>reference.audio</c>.</param>
    public static TtsException ToTtsException(this AudioRequestException exception, string? parameter = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new TtsException(exception.Kind, exception.Message, parameter, innerException: exception);
    }
}
