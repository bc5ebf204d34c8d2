using F5Tts.Inference.Errors;

namespace F5Tts.Api.Errors;

/// <summary>
/// The stable ProblemDetails <c>type</c> URIs, one per cause (RFC 9457). They are URNs: identifiers, not links,
/// so they never break; the README's error table explains each. Never rename one — clients switch on them.
/// </summary>
public static class ProblemTypes
{
    private const string Prefix = "urn:f5tts:problem:";

    /// <summary>400: the request body is not valid JSON or a field has the wrong JSON type.</summary>
    public const string MalformedJson = Prefix + "malformed-json";

    /// <summary>400: the request is malformed at the HTTP level (bad header, bad query value, missing body).</summary>
    public const string BadRequest = Prefix + "bad-request";

    /// <summary>400: a field is present and well-typed but invalid (range, length, combination).</summary>
    public const string InvalidInput = Prefix + "invalid-input";

    /// <summary>401: an API key is required and was missing or wrong.</summary>
    public const string Unauthorized = Prefix + "unauthorized";

    /// <summary>404: no endpoint at this path.</summary>
    public const string NotFound = Prefix + "not-found";

    /// <summary>404: the voice id does not exist.</summary>
    public const string VoiceNotFound = Prefix + "voice-not-found";

    /// <summary>405: the path exists but not with this method.</summary>
    public const string MethodNotAllowed = Prefix + "method-not-allowed";

    /// <summary>408: the request body arrived too slowly.</summary>
    public const string RequestTimeout = Prefix + "request-timeout";

    /// <summary>414: the request target (path and query) is longer than the server accepts.</summary>
    public const string UriTooLong = Prefix + "uri-too-long";

    /// <summary>431: too many request headers, or too many bytes of them.</summary>
    public const string HeadersTooLarge = Prefix + "headers-too-large";

    /// <summary>413: the body or a field is larger than a configured limit.</summary>
    public const string PayloadTooLarge = Prefix + "payload-too-large";

    /// <summary>415: the request's Content-Type is not accepted by the endpoint.</summary>
    public const string UnsupportedContentType = Prefix + "unsupported-content-type";

    /// <summary>415: reference audio that cannot be decoded.</summary>
    public const string UnsupportedMedia = Prefix + "unsupported-media";

    /// <summary>422: the text yields no tokens the model can speak.</summary>
    public const string NoSpeakableText = Prefix + "no-speakable-text";

    /// <summary>429: the synthesis queue is full (with Retry-After).</summary>
    public const string QueueFull = Prefix + "queue-full";

    /// <summary>503: models are loading / warming up or the service is draining (with Retry-After).</summary>
    public const string NotReady = Prefix + "not-ready";

    /// <summary>504: the request outlived its deadline.</summary>
    public const string DeadlineExceeded = Prefix + "deadline-exceeded";

    /// <summary>500: an unexpected fault; the response never carries internals, the log has the details.</summary>
    public const string InternalError = Prefix + "internal-error";

    /// <summary>Real-time route: a message out of protocol (unknown type, text before start, a second start, binary data).</summary>
    public const string ProtocolError = Prefix + "protocol-error";

    /// <summary>Real-time route: F5Tts:Realtime:MaxSessions sessions are open (close code 1013).</summary>
    public const string TooManySessions = Prefix + "too-many-sessions";

    /// <summary>Real-time route: the client sent nothing for F5Tts:Realtime:IdleTimeoutSeconds while no audio was being made.</summary>
    public const string IdleTimeout = Prefix + "idle-timeout";

    /// <summary>Real-time route: the session reached F5Tts:Realtime:MaxSessionSeconds.</summary>
    public const string SessionExpired = Prefix + "session-expired";

    /// <summary>Any other status: the RFC 9457 default, meaning "no more than the status code".</summary>
    public const string Generic = "about:blank";

    /// <summary>409: the voice id is taken, the library is full or the voice is built in (the code names which).</summary>
    public const string Conflict = Prefix + "conflict";

    /// <summary>
    /// The type of an error that names its own cause (<see cref="TtsException.Code"/>, e.g. <c>malformed-audio</c>):
    /// the voice library's and the audio decoder's causes, each listed in the README's error table.
    /// </summary>
    public static string ForCode(string code) => Prefix + code;

    /// <summary>The title of an error that names its own cause: the code in words (<c>voice-exists</c> → "voice exists").</summary>
    public static string TitleForCode(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return code.Replace('-', ' ');
    }

    /// <summary>The type of a <see cref="TtsException"/> kind.</summary>
    public static string For(TtsErrorKind kind) => kind switch
    {
        TtsErrorKind.InvalidInput => InvalidInput,
        TtsErrorKind.VoiceNotFound => VoiceNotFound,
        TtsErrorKind.PayloadTooLarge => PayloadTooLarge,
        TtsErrorKind.UnsupportedMedia => UnsupportedMedia,
        TtsErrorKind.NoSpeakableText => NoSpeakableText,
        TtsErrorKind.QueueFull => QueueFull,
        TtsErrorKind.NotReady => NotReady,
        TtsErrorKind.DeadlineExceeded => DeadlineExceeded,
        TtsErrorKind.Conflict => Conflict,
        TtsErrorKind.Cancelled => Generic,
        _ => Generic,
    };

    /// <summary>The HTTP status of a <see cref="TtsException"/> kind (Cancelled → 499, never sent).</summary>
    public static int StatusFor(TtsErrorKind kind) => kind switch
    {
        TtsErrorKind.InvalidInput => StatusCodes.Status400BadRequest,
        TtsErrorKind.VoiceNotFound => StatusCodes.Status404NotFound,
        TtsErrorKind.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        TtsErrorKind.UnsupportedMedia => StatusCodes.Status415UnsupportedMediaType,
        TtsErrorKind.NoSpeakableText => StatusCodes.Status422UnprocessableEntity,
        TtsErrorKind.QueueFull => StatusCodes.Status429TooManyRequests,
        TtsErrorKind.NotReady => StatusCodes.Status503ServiceUnavailable,
        TtsErrorKind.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        TtsErrorKind.Conflict => StatusCodes.Status409Conflict,
        TtsErrorKind.Cancelled => StatusCodes.Status499ClientClosedRequest,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The type used when only a status code is known (status code pages, framework results).</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status408RequestTimeout => RequestTimeout,
        StatusCodes.Status409Conflict => Conflict,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status414UriTooLong => UriTooLong,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedContentType,
        StatusCodes.Status422UnprocessableEntity => NoSpeakableText,
        StatusCodes.Status429TooManyRequests => QueueFull,
        StatusCodes.Status431RequestHeaderFieldsTooLarge => HeadersTooLarge,
        StatusCodes.Status500InternalServerError => InternalError,
        StatusCodes.Status503ServiceUnavailable => NotReady,
        StatusCodes.Status504GatewayTimeout => DeadlineExceeded,
        _ => Generic,
    };
}
