using F5Tts.Inference.Options;

namespace F5Tts.Inference.Text;

/// <summary>Default <see cref="ITextFrontEnd"/>: immutable tables built once, then shared by all requests.</summary>
public sealed class TextFrontEnd : ITextFrontEnd
{
    private readonly TextOptions _options;
    private readonly F5Tokenizer _tokenizer;
    private readonly TextChunker _chunker;
    private readonly Vocabulary _vocabulary;

    /// <summary>Builds the front-end (about a second: jieba and pypinyin tables).</summary>
    /// <param name="options">Text options.</param>
    /// <param name="vocabulary">The model vocabulary.</param>
    /// <param name="lexicon">User lexicon entries (word → syllables), already validated; null for none.</param>
    public TextFrontEnd(TextOptions options, Vocabulary vocabulary, IReadOnlyDictionary<string, string[]>? lexicon = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        _options = options;
        _vocabulary = vocabulary;
        var segmenter = new JiebaSegmenter(lexicon?.Keys);
        _tokenizer = new F5Tokenizer(segmenter, new PinyinConverter(lexicon));
        _chunker = new TextChunker(segmenter);
    }

    /// <summary>DI factory: reads the vocabulary and the lexicon named by the options.</summary>
    internal static TextFrontEnd Create(TextOptions options, ResolvedTextPaths paths)
    {
        var vocabulary = Vocabulary.Load(paths.VocabularyPath);
        var lexicon = paths.LexiconPath is null ? null : Lexicon.Load(paths.LexiconPath, vocabulary);
        return new TextFrontEnd(options, vocabulary, lexicon);
    }

    /// <inheritdoc />
    public UpstreamMode Mode => _options.Mode;

    /// <inheritdoc />
    public Vocabulary Vocabulary => _vocabulary;

    /// <inheritdoc />
    public TokenizeResult Tokenize(string text, string? referenceText = null, bool? normalize = null)
    {
        var gen = PrepareGenerated(text, normalize ?? _options.Normalize);
        var reference = referenceText is null ? PreparedText.Empty : Prepare(referenceText, normalize ?? _options.Normalize);
        return TokenizePrepared(gen, JoinReference(reference));
    }

    /// <inheritdoc />
    public DurationEstimate ComputeDuration(TokenizeResult tokens, int referenceSamples, double speed = 1.0, int maxFrames = 4096)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ValidateSpeed(speed);
        return DurationEstimator.Estimate(tokens.Mode, referenceSamples, tokens.ReferenceTextBytes, tokens.GeneratedTextBytes,
            speed, tokens.Count, maxFrames);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Chunk(string text, string referenceText, int referenceSamples, double speed = 1.0,
        bool? normalize = null, bool shortFirstChunk = false)
    {
        var norm = normalize ?? _options.Normalize;
        var gen = PrepareGenerated(text, norm);
        var reference = Prepare(referenceText ?? string.Empty, norm);
        return [.. ChunkPrepared(gen, reference, referenceSamples, speed, shortFirstChunk).Select(c => c.ToMarkup())];
    }

    /// <inheritdoc />
    public SynthesisPlan Plan(string text, string referenceText, int referenceSamples, double speed = 1.0,
        bool? normalize = null, int maxFrames = 4096, bool shortFirstChunk = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(referenceSamples);
        ValidateSpeed(speed);
        var norm = normalize ?? _options.Normalize;
        var gen = PrepareGenerated(text, norm);
        var reference = Prepare(referenceText ?? string.Empty, norm);
        var joinedRef = JoinReference(reference);

        if (DurationEstimator.ReferenceMelFrames(referenceSamples) + 1 >= maxFrames)
        {
            throw new TextInputException(TextErrorKind.InvalidInput,
                $"The reference clip ({referenceSamples / (double)DurationEstimator.SampleRate:0.0} s) leaves no room in the model's {maxFrames}-frame window; use a clip under 12 s.");
        }

        var chunks = new List<SynthesisChunk>();
        var work = new LinkedList<(PreparedText Text, bool Split)>(
            ChunkPrepared(gen, reference, referenceSamples, speed, shortFirstChunk).Select(c => (c, false)));
        var node = work.First;
        while (node is not null)
        {
            var (piece, split) = node.Value;
            var tokens = TokenizeCore(piece, joinedRef, out var sources);
            var estimate = TryEstimate(tokens, referenceSamples, speed, maxFrames, applyShortTextRule: !split);
            if (estimate is null)
            {
                // Over the frame window: cut the largest head that the duration rule lets fit, at a clause or word
                // boundary (never inside a word or an override).
                var refLen = _options.Mode == UpstreamMode.Official ? referenceSamples / DurationEstimator.HopLength
                    : referenceSamples / DurationEstimator.HopLength + 1;
                var available = maxFrames - refLen - 1;
                var budget = (int)Math.Max(1, available * (double)Math.Max(1, tokens.ReferenceTextBytes) * speed / Math.Max(1, refLen));
                var cut = _chunker.FindCut(piece, budget);
                (PreparedText Head, PreparedText Tail)? parts = cut > 0 && cut < piece.Text.Length
                    ? (TextChunker.Trim(piece.Slice(0, cut)), TextChunker.Trim(piece.Slice(cut, piece.Text.Length - cut)))
                    : _chunker.SplitInTwo(piece);
                if (parts is not { } p || p.Head.Text.Length == 0 || p.Tail.Text.Length == 0)
                {
                    throw new TextInputException(TextErrorKind.TooLong,
                        $"'{Shorten(piece.Text)}' cannot be split further and does not fit the model's {maxFrames}-frame window with this reference.");
                }

                work.AddAfter(node, (p.Tail, true));
                node.Value = (p.Head, true);
                continue;
            }

            node = node.Next;
            if (!HasSpeakable(tokens, joinedRef.Text.Length, sources))
            {
                continue; // e.g. a chunk of only punctuation: nothing to synthesise
            }

            chunks.Add(new SynthesisChunk(chunks.Count, piece.ToMarkup(), tokens, estimate.Value));
        }

        if (chunks.Count == 0)
        {
            throw NotSpeakable();
        }

        return new SynthesisPlan(chunks, _options.Mode);
    }

    private static DurationEstimate? TryEstimate(TokenizeResult tokens, int referenceSamples, double speed, int maxFrames,
        bool applyShortTextRule)
    {
        try
        {
            return DurationEstimator.Estimate(tokens.Mode, referenceSamples, tokens.ReferenceTextBytes,
                tokens.GeneratedTextBytes, speed, tokens.Count, maxFrames, applyShortTextRule);
        }
        catch (TextInputException e) when (e.TextKind == TextErrorKind.TooLong)
        {
            return null;
        }
    }

    private List<PreparedText> ChunkPrepared(PreparedText gen, PreparedText reference, int referenceSamples, double speed, bool shortFirstChunk)
    {
        ValidateSpeed(speed);
        // Upstream computes the budget from the reference text after preprocess_ref_audio_text (". " appended) and
        // before the extra trailing space of infer_batch_process.
        var budgetRef = _options.Mode == UpstreamMode.Official ? OfficialReference(reference, extraSpace: false) : reference;
        var maxBytes = DurationEstimator.ChunkBudgetBytes(referenceSamples, CharClasses.Utf8Length(budgetRef.Text), speed,
            _options.ChunkBudgetSeconds);
        return _chunker.Chunk(gen, maxBytes, shortFirstChunk ? _options.FirstChunkMaxBytes : null);
    }

    private TokenizeResult TokenizePrepared(PreparedText gen, PreparedText joinedRef)
    {
        var result = TokenizeCore(gen, joinedRef, out var sources);
        return HasSpeakable(result, joinedRef.Text.Length, sources) ? result : throw NotSpeakable();
    }

    private TokenizeResult TokenizeCore(PreparedText gen, PreparedText joinedRef, out List<int> sources)
    {
        var joined = joinedRef.Append(gen);
        var tokens = new List<string>(joined.Text.Length * 2);
        sources = new List<int>(joined.Text.Length * 2);
        _tokenizer.Convert(joined.Text, joined.Overrides.Count == 0 ? null : joined.Overrides, tokens, sources);
        var ids = new int[tokens.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = _vocabulary.GetId(tokens[i]);
        }

        return new TokenizeResult(tokens, ids, joined.Text, joinedRef.Text, gen.Text, _options.Mode);
    }

    /// <summary>Whether any token that comes from the generated part (index ≥ <paramref name="generatedStart"/>) has sound.</summary>
    private static bool HasSpeakable(TokenizeResult result, int generatedStart, List<int> sources)
    {
        for (var i = 0; i < result.Ids.Length; i++)
        {
            if (sources[i] >= generatedStart && result.Ids[i] != 0 && IsSpeakable(result.Tokens[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A syllable or a letter/digit: something with sound (punctuation only shapes prosody).</summary>
    private static bool IsSpeakable(string token) => token.Length > 1 || char.IsLetterOrDigit(token[0]);

    private static TextInputException NotSpeakable() => new(TextErrorKind.NoSpeakableTokens,
        "The text contains nothing the model can speak (only spaces, punctuation or characters missing from the model vocabulary).");

    private PreparedText PrepareGenerated(string text, bool normalize)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new TextInputException(TextErrorKind.InvalidInput, "The text is empty.");
        }

        ThrowIfTooLong(text, _options.MaxCharacters);
        return Prepare(text, normalize);
    }

    /// <summary>
    /// The whole-text limit (<c>F5Tts:Text:MaxCharacters</c>, 413). Shared with the script path, which must apply it to
    /// the request's whole text before the segments reach the front-end one by one.
    /// </summary>
    internal static void ThrowIfTooLong(string text, int maxCharacters)
    {
        if (text.Length > maxCharacters)
        {
            throw new TextInputException(TextErrorKind.TooLong,
                $"The text has {text.Length} characters; the maximum is {maxCharacters} (F5Tts:Text:MaxCharacters).");
        }
    }

    private PreparedText Prepare(string text, bool normalize)
    {
        var pieces = PronunciationMarkup.Split(text, _vocabulary);
        if (normalize)
        {
            for (var i = 0; i < pieces.Count; i++)
            {
                pieces[i] = pieces[i] with { Text = TextNormalizer.Normalize(pieces[i].Text) };
            }
        }

        return PronunciationMarkup.Assemble(pieces);
    }

    private PreparedText JoinReference(PreparedText reference) =>
        reference.Text.Length == 0 ? reference
        : _options.Mode == UpstreamMode.Official ? OfficialReference(reference, extraSpace: true)
        : reference;

    /// <summary>
    /// Official ref-text normalisation (docs/model.md "Joining reference and text"): append ". " unless it ends with ". " or "。" (just " " after a
    /// final "."); then, in infer_batch_process, one more " " when the last character is 1-byte UTF-8.
    /// </summary>
    private static PreparedText OfficialReference(PreparedText reference, bool extraSpace)
    {
        var s = reference.Text;
        if (s.Length == 0)
        {
            return reference;
        }

        var suffix = string.Empty;
        if (!s.EndsWith(". ", StringComparison.Ordinal) && !s.EndsWith('。'))
        {
            suffix = s.EndsWith('.') ? " " : ". ";
        }

        var last = suffix.Length > 0 ? suffix[^1] : s[^1];
        if (extraSpace && last < 0x80)
        {
            suffix += " ";
        }

        return suffix.Length == 0 ? reference : reference.Append(new PreparedText(suffix, new Dictionary<int, string>()));
    }

    private static void ValidateSpeed(double speed)
    {
        if (!(speed > 0 && double.IsFinite(speed)))
        {
            throw new TextInputException(TextErrorKind.InvalidInput, $"Speed must be a positive number, got {speed}.");
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
