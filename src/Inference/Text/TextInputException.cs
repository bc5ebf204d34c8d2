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
/// A request text the front-end cannot turn into model input. The Api maps <see cref="Kind"/> to an RFC 9457
/// ProblemDetails (status <see cref="StatusCode"/>, type <see cref="ProblemType"/>). Kept in this folder until the
/// service-wide exception hierarchy exists; swapping means changing the base class only.
/// </summary>
public sealed class TextInputException : Exception
{
    public TextInputException(TextErrorKind kind, string message)
        : base(message) => Kind = kind;

    public TextInputException()
        : this(TextErrorKind.InvalidInput, "Invalid text.")
    {
    }

    public TextInputException(string message)
        : this(TextErrorKind.InvalidInput, message)
    {
    }

    public TextInputException(string message, Exception innerException)
        : base(message, innerException) => Kind = TextErrorKind.InvalidInput;

    /// <summary>The cause.</summary>
    public TextErrorKind Kind { get; }

    /// <summary>HTTP status for <see cref="Kind"/>.</summary>
    public int StatusCode => Kind switch
    {
        TextErrorKind.TooLong => 413,
        TextErrorKind.NoSpeakableTokens => 422,
        _ => 400,
    };

    /// <summary>Stable problem type per cause.</summary>
    public string ProblemType => Kind switch
    {
        TextErrorKind.TooLong => "urn:f5tts:problem:text-too-long",
        TextErrorKind.NoSpeakableTokens => "urn:f5tts:problem:text-not-speakable",
        _ => "urn:f5tts:problem:invalid-text",
    };

    /// <summary>Short human title for <see cref="Kind"/>.</summary>
    public string Title => Kind switch
    {
        TextErrorKind.TooLong => "Text too long",
        TextErrorKind.NoSpeakableTokens => "Text has nothing to speak",
        _ => "Invalid text",
    };
}
