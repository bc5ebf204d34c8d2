namespace F5Tts.Inference.Text;

/// <summary>
/// The text front-end: what the model hears is decided here (docs/text-frontend.md). One singleton per process;
/// thread-safe; all methods are CPU-only and synchronous (about 1 µs per character).
/// Errors are <see cref="TextInputException"/> (400 invalid, 413 too long, 422 nothing to speak).
/// </summary>
public interface ITextFrontEnd
{
    /// <summary>Joining/duration behaviour in use (<c>F5Tts:Text:Mode</c>).</summary>
    UpstreamMode Mode { get; }

    /// <summary>The model vocabulary the ids refer to.</summary>
    Vocabulary Vocabulary { get; }

    /// <summary>
    /// Tokens and ids of <paramref name="referenceText"/> + <paramref name="text"/>, exactly as the model sees them
    /// (reference joined per <see cref="Mode"/>, overrides applied, normalised when <paramref name="normalize"/> — or,
    /// when null, <c>F5Tts:Text:Normalize</c> — is on).
    /// </summary>
    TokenizeResult Tokenize(string text, string? referenceText = null, bool? normalize = null);

    /// <summary>
    /// Total mel frames for an utterance tokenised by <see cref="Tokenize"/> (docs/model.md "Duration", per <see cref="Mode"/>).
    /// Throws <see cref="TextInputException"/> (413) when it exceeds <paramref name="maxFrames"/>.
    /// </summary>
    DurationEstimate ComputeDuration(TokenizeResult tokens, int referenceSamples, double speed = 1.0, int maxFrames = 4096);

    /// <summary>
    /// Splits a generated text into chunks (budget from the reference, docs/model.md "Chunking long text"; optional short first chunk).
    /// Returns the chunk texts after markup parsing and normalisation, with overrides written back inline, ready to
    /// pass to <see cref="Tokenize"/> (normalising again is a no-op).
    /// </summary>
    IReadOnlyList<string> Chunk(string text, string referenceText, int referenceSamples, double speed = 1.0,
        bool? normalize = null, bool shortFirstChunk = false);

    /// <summary>
    /// Everything /v1/tts needs for one request: chunks, each with its ids and frame count, guaranteed to fit
    /// <paramref name="maxFrames"/> (over-long chunks are split further at word boundaries; a single word that still
    /// does not fit gives 413).
    /// </summary>
    SynthesisPlan Plan(string text, string referenceText, int referenceSamples, double speed = 1.0, bool? normalize = null,
        int maxFrames = 4096, bool shortFirstChunk = false);
}

/// <summary>The model input for one text.</summary>
/// <param name="Tokens">Tokens in order (pinyin syllables, single characters, spaces).</param>
/// <param name="Ids">Vocabulary ids, unknown → 0, as fed to the model (<c>int32[1, T]</c>, no +1).</param>
/// <param name="Text">The joined plain text that was tokenised (reference + generated, markup removed).</param>
/// <param name="ReferenceText">The reference part of <see cref="Text"/> (after joining rules), empty when none.</param>
/// <param name="GeneratedText">The generated part of <see cref="Text"/>.</param>
/// <param name="Mode">The mode the texts were joined in.</param>
public sealed record TokenizeResult(
    IReadOnlyList<string> Tokens,
    int[] Ids,
    string Text,
    string ReferenceText,
    string GeneratedText,
    UpstreamMode Mode)
{
    /// <summary>Number of tokens (T_text).</summary>
    public int Count => Ids.Length;

    /// <summary>UTF-8 bytes of <see cref="ReferenceText"/> (duration formula).</summary>
    public int ReferenceTextBytes => CharClasses.Utf8Length(ReferenceText);

    /// <summary>UTF-8 bytes of <see cref="GeneratedText"/> (duration formula).</summary>
    public int GeneratedTextBytes => CharClasses.Utf8Length(GeneratedText);
}

/// <summary>One chunk of a <see cref="SynthesisPlan"/>.</summary>
/// <param name="Index">0-based position.</param>
/// <param name="Text">The chunk's generated text (markup written back inline).</param>
/// <param name="Tokens">Reference + chunk tokens and ids.</param>
/// <param name="Duration">Frames for this chunk (reference included).</param>
public sealed record SynthesisChunk(int Index, string Text, TokenizeResult Tokens, DurationEstimate Duration);

/// <summary>All chunks of one request, in order (join their audio with a cross-fade, docs/model.md "Post-processing").</summary>
public sealed record SynthesisPlan(IReadOnlyList<SynthesisChunk> Chunks, UpstreamMode Mode);
