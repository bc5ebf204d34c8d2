using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Text;

/// <summary>Why a text was refused; each maps to one HTTP status and one stable problem type.</summary>
public enum TextErrorKind
{
    /// <summary>Empty text, bad override syntax, unknown syllable: 400.</summary>
    InvalidInput,

    /// <summary>Over <c>F5Tts:Text:MaxCharacters</c>, or a single word that cannot fit the model's frame limit: 413.</summary>
    TooLong,

    /// <summary>The text yields no speakable token (only spaces, punctuation or characters unknown to the model): 422.</summary>
    NoSpeakableTokens,
}

/// <summary>
/// A request text the front-end cannot turn into model input: a <see cref="TtsException"/> whose kind gives the HTTP
/// status (400 invalid, 413 too long, 422 nothing speakable); <see cref="TextKind"/> keeps the front-end's own cause.
/// </summary>
public sealed class TextInputException : TtsException
{
    public TextInputException(TextErrorKind kind, string message)
        : base(ToErrorKind(kind), message, "text") => TextKind = kind;

    public TextInputException()
        : this(TextErrorKind.InvalidInput, "Invalid text.")
    {
    }

    public TextInputException(string message)
        : this(TextErrorKind.InvalidInput, message)
    {
    }

    public TextInputException(string message, Exception innerException)
        : base(TtsErrorKind.InvalidInput, message, "text", innerException: innerException) => TextKind = TextErrorKind.InvalidInput;

    /// <summary>The front-end's cause.</summary>
    public TextErrorKind TextKind { get; }

    private static TtsErrorKind ToErrorKind(TextErrorKind kind) => kind switch
    {
        TextErrorKind.TooLong => TtsErrorKind.PayloadTooLarge,
        TextErrorKind.NoSpeakableTokens => TtsErrorKind.NoSpeakableText,
        _ => TtsErrorKind.InvalidInput,
    };
}
