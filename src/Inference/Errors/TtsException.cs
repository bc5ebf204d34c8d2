using System.Globalization;

namespace F5Tts.Inference.Errors;

/// <summary>
/// The root of every error that is the client's (or the load's), not the service's: text, voice, audio, queue and
/// deadline refusals all derive from or are this type, and the Api turns them into ProblemDetails in one place.
/// Its <see cref="Exception.Message"/> is safe to show to the client: the Api copies it into the ProblemDetails
/// <c>detail</c>. Anything else thrown is an internal fault and becomes a 500 without details.
/// </summary>
/// <example>
/// <code>throw TtsException.InvalidInput("nfe_steps must be between 1 and 128.", "nfe_steps");</code>
/// </example>
public class TtsException : Exception
{
    /// <summary>Creates an exception of the given kind.</summary>
    /// <param name="kind">Why the request cannot be served.</param>
    /// <param name="message">Client-safe explanation (no paths, no stack details).</param>
    /// <param name="parameter">The request field at fault, if any (e.g. <c>text</c>, <c>voice</c>).</param>
    /// <param name="retryAfter">For <see cref="TtsErrorKind.QueueFull"/> and <see cref="TtsErrorKind.NotReady"/>:
    /// when the client should retry; the Api sends it as <c>Retry-After</c> (whole seconds, at least 1).</param>
    /// <param name="innerException">The underlying cause, kept for logs only.</param>
    /// <param name="code">A cause more specific than the kind (see <see cref="Code"/>), or null.</param>
    public TtsException(
        TtsErrorKind kind,
        string message,
        string? parameter = null,
        TimeSpan? retryAfter = null,
        Exception? innerException = null,
        string? code = null)
        : base(message, innerException)
    {
        Kind = kind;
        Parameter = parameter;
        RetryAfter = retryAfter;
        Code = code;
    }

    /// <summary>Creates an invalid-input error (the standard exception constructor).</summary>
    public TtsException()
        : this(TtsErrorKind.InvalidInput, "Invalid request.")
    {
    }

    /// <summary>Creates an invalid-input error with a client-safe message (the standard exception constructor).</summary>
    public TtsException(string message)
        : this(TtsErrorKind.InvalidInput, message)
    {
    }

    /// <summary>Creates an invalid-input error with a cause (the standard exception constructor).</summary>
    public TtsException(string message, Exception innerException)
        : this(TtsErrorKind.InvalidInput, message, innerException: innerException)
    {
    }

    /// <summary>Why the request cannot be served; decides the HTTP status and problem type.</summary>
    public TtsErrorKind Kind { get; }

    /// <summary>The request field at fault, if any; the Api reports it as the <c>parameter</c> extension.</summary>
    public string? Parameter { get; }

    /// <summary>Suggested delay before retrying (queue full / not ready), or null.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// A stable kebab-case slug naming the cause more precisely than <see cref="Kind"/> (e.g. <c>malformed-audio</c>,
    /// <c>voice-exists</c>), or null. When set, the Api uses it as the ProblemDetails <c>type</c> suffix and title
    /// instead of the kind's; the status still comes from the kind. Part of the public contract: never rename one.
    /// </summary>
    public string? Code { get; }

    /// <summary>An error of the given kind that names its own cause (<see cref="Code"/>).</summary>
    public static TtsException WithCode(TtsErrorKind kind, string code, string message) => new(kind, message, code: code);

    /// <summary>400: a field is missing, malformed or out of range.</summary>
    public static TtsException InvalidInput(string message, string? parameter = null) =>
        new(TtsErrorKind.InvalidInput, message, parameter);

    /// <summary>404: unknown voice id.</summary>
    public static TtsException VoiceNotFound(string voiceId) =>
        new(TtsErrorKind.VoiceNotFound, $"Voice '{voiceId}' does not exist.", "voice");

    /// <summary>413: a configured size limit was exceeded.</summary>
    public static TtsException PayloadTooLarge(string message, string? parameter = null) =>
        new(TtsErrorKind.PayloadTooLarge, message, parameter);

    /// <summary>415: reference audio that cannot be decoded.</summary>
    public static TtsException UnsupportedMedia(string message, string? parameter = null, Exception? innerException = null) =>
        new(TtsErrorKind.UnsupportedMedia, message, parameter, innerException: innerException);

    /// <summary>422: the text produces no tokens.</summary>
    public static TtsException NoSpeakableText(string message, string parameter = "text") =>
        new(TtsErrorKind.NoSpeakableText, message, parameter);

    /// <summary>429: the admission queue is full.</summary>
    public static TtsException QueueFull(TimeSpan retryAfter) =>
        new(TtsErrorKind.QueueFull, "The synthesis queue is full; retry later.", retryAfter: retryAfter);

    /// <summary>503: not ready (loading, warming up, draining).</summary>
    public static TtsException NotReady(string message, TimeSpan retryAfter) =>
        new(TtsErrorKind.NotReady, message, retryAfter: retryAfter);

    /// <summary>504: the request outlived its deadline.</summary>
    public static TtsException DeadlineExceeded(TimeSpan deadline) =>
        new(TtsErrorKind.DeadlineExceeded,
            string.Create(CultureInfo.InvariantCulture,
                $"The request did not complete within its deadline of {deadline.TotalSeconds:0.###} s."));

    /// <summary>Client went away: logged and counted, never answered.</summary>
    public static TtsException Cancelled(Exception? innerException = null) =>
        new(TtsErrorKind.Cancelled, "The request was cancelled by the client.", innerException: innerException);
}
