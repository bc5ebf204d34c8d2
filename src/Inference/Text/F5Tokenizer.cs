namespace F5Tts.Inference.Text;

/// <summary>
/// F5-TTS <c>convert_char_to_pinyin</c> (docs/model.md "Vocabulary and tokenisation") for one string: character translation, jieba segmentation,
/// the three byte-length branches, space tokens before Han syllables. Optional per-character reading overrides
/// replace the pinyin of single characters after tone sandhi (inline <c>行&lt;hang2&gt;</c> syntax).
/// Stateless apart from the immutable segmenter and pinyin tables; safe to share between threads.
/// </summary>
internal sealed class F5Tokenizer
{
    private static readonly string[] Ascii = BuildAscii();
    private const string Space = " ";

    private readonly JiebaSegmenter _segmenter;
    private readonly PinyinConverter _pinyin;

    public F5Tokenizer(JiebaSegmenter segmenter, PinyinConverter pinyin)
    {
        _segmenter = segmenter;
        _pinyin = pinyin;
    }

    /// <summary>
    /// Converts <paramref name="text"/> to tokens. <paramref name="sources"/> receives, for each token, the index of the
    /// character it comes from (a space token is attributed to the character it precedes).
    /// </summary>
    /// <param name="text">The text as the model should read it (reference text already joined).</param>
    /// <param name="overrides">Optional reading per character index (null entries: no override).</param>
    /// <param name="tokens">Receives the tokens.</param>
    /// <param name="sources">Receives the source character index per token.</param>
    public void Convert(string text, IReadOnlyDictionary<int, string>? overrides, List<string> tokens, List<int> sources)
    {
        var translated = Translate(text);
        var segments = _segmenter.Cut(translated);
        string[]? rented = null;
        Span<string> py = default;
        foreach (var seg in segments)
        {
            var s = translated.AsSpan(seg.Start, seg.Length);
            var bytes = CharClasses.Utf8Length(s);
            var chars = CodePointCount(s);
            if (bytes == chars)
            {
                // Pure ASCII. Upstream: `char_list[-1] not in " :'\""` is a substring test; tokens are never empty.
                if (tokens.Count > 0 && bytes > 1 && tokens[^1] is not (" " or ":" or "'" or "\""))
                {
                    tokens.Add(Space);
                    sources.Add(seg.Start);
                }

                for (var i = 0; i < s.Length; i++)
                {
                    tokens.Add(Ascii[s[i]]);
                    sources.Add(seg.Start + i);
                }
            }
            else if (bytes == 3 * chars)
            {
                // All 3-byte (BMP) characters: one lazy_pinyin call over the segment so phrases and sandhi apply.
                if (rented is null || rented.Length < s.Length)
                {
                    rented = new string[Math.Max(64, s.Length)];
                }

                py = rented.AsSpan(0, s.Length);
                _pinyin.Convert(s, py);
                for (var i = 0; i < s.Length; i++)
                {
                    var index = seg.Start + i;
                    if (CharClasses.IsF5Chinese(s[i]))
                    {
                        tokens.Add(Space);
                        sources.Add(index);
                    }

                    tokens.Add(overrides is not null && overrides.TryGetValue(index, out var o) ? o : py[i]);
                    sources.Add(index);
                }
            }
            else
            {
                ConvertMixed(s, seg.Start, overrides, tokens, sources);
            }
        }
    }

    /// <summary>
    /// A segment of mixed widths, per code point. Latin-1 as is; "is_chinese" gets a space and its single-character
    /// reading (no phrase context, no sandhi partner); anything else as is.
    /// </summary>
    private void ConvertMixed(ReadOnlySpan<char> s, int start, IReadOnlyDictionary<int, string>? overrides, List<string> tokens, List<int> sources)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var index = start + i;
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                tokens.Add(s.Slice(i, 2).ToString());
                sources.Add(index);
                i++;
            }
            else if (c < 256)
            {
                tokens.Add(c < 128 ? Ascii[c] : c.ToString());
                sources.Add(index);
            }
            else if (CharClasses.IsF5Chinese(c))
            {
                tokens.Add(Space);
                sources.Add(index);
                string reading;
                if (overrides is not null && overrides.TryGetValue(index, out var o))
                {
                    reading = o;
                }
                else
                {
                    Span<string> one = [string.Empty];
                    _pinyin.Convert(s.Slice(i, 1), one);
                    reading = one[0];
                }

                tokens.Add(reading);
                sources.Add(index);
            }
            else
            {
                tokens.Add(c.ToString());
                sources.Add(index);
            }
        }
    }

    /// <summary>
    /// Upstream <c>str.maketrans({";": ",", "“": '"', "”": '"', "‘": "'", "’": "'"})</c>. One character for one, so
    /// indices are preserved. Full-width ；is deliberately not translated (upstream does not).
    /// </summary>
    public static string Translate(string text)
    {
        if (text.AsSpan().IndexOfAny(";\u201C\u201D\u2018\u2019") < 0)
        {
            return text;
        }

        return string.Create(text.Length, text, static (span, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                span[i] = src[i] switch
                {
                    ';' => ',',
                    '\u201C' or '\u201D' => '"',
                    '\u2018' or '\u2019' => '\'',
                    var c => c,
                };
            }
        });
    }

    private static int CodePointCount(ReadOnlySpan<char> s)
    {
        var n = s.Length;
        for (var i = 0; i < s.Length - 1; i++)
        {
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                n--;
                i++;
            }
        }

        return n;
    }

    private static string[] BuildAscii()
    {
        var a = new string[128];
        for (var i = 0; i < 128; i++)
        {
            a[i] = ((char)i).ToString();
        }

        return a;
    }
}
