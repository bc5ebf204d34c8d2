namespace F5Tts.Inference.Text;

/// <summary>
/// Long-text chunking (docs/model.md "Chunking long text", upstream <c>chunk_text</c>) plus two additions: a short first chunk for
/// streaming, and splitting at word boundaries (jieba segments, never inside a word or an override) when one chunk is
/// still too long. Works on <see cref="PreparedText"/> so that pronunciation overrides travel with their characters.
/// </summary>
internal sealed class TextChunker
{
    private const string AsciiBreak = ";:,.!?";
    private const string CjkBreak = "；：，。！？";
    private const string SoftBreak = ",;:、，；：";

    private readonly JiebaSegmenter _segmenter;

    public TextChunker(JiebaSegmenter segmenter) => _segmenter = segmenter;

    /// <summary>
    /// Upstream greedy chunking with budget <paramref name="maxBytes"/> (UTF-8 bytes); when
    /// <paramref name="firstChunkMaxBytes"/> is smaller, the first chunk is cut to that budget at a sentence, clause or
    /// word boundary.
    /// </summary>
    public List<PreparedText> Chunk(PreparedText text, int maxBytes, int? firstChunkMaxBytes = null)
    {
        var sentences = SplitSentences(text);
        var chunks = new List<PreparedText>();
        var index = 0;

        if (firstChunkMaxBytes is { } firstBudget && firstBudget < maxBytes && sentences.Count > 0)
        {
            var first = PreparedText.Empty;
            while (index < sentences.Count)
            {
                var s = sentences[index];
                if (Bytes(first) + Bytes(s) <= firstBudget)
                {
                    first = AppendSentence(first, s);
                    index++;
                    continue;
                }

                if (Bytes(Trim(first)) == 0)
                {
                    // The first sentence alone is over the budget: cut it at the best boundary within the budget.
                    var cut = FindCut(s, firstBudget);
                    if (cut > 0 && cut < s.Text.Length)
                    {
                        first = s.Slice(0, cut);
                        sentences[index] = s.Slice(cut, s.Text.Length - cut);
                    }
                    else
                    {
                        first = AppendSentence(first, s);
                        index++;
                    }
                }

                break;
            }

            AddChunk(chunks, first);
        }

        // Upstream loop: accumulate while bytes(current) + bytes(sentence) <= max_chars.
        var current = PreparedText.Empty;
        for (; index < sentences.Count; index++)
        {
            var s = sentences[index];
            if (Bytes(current) + Bytes(s) <= maxBytes)
            {
                current = AppendSentence(current, s);
            }
            else
            {
                AddChunk(chunks, current);
                current = AppendSentence(PreparedText.Empty, s);
            }
        }

        AddChunk(chunks, current);
        return chunks;
    }

    /// <summary>
    /// Splits <paramref name="text"/> in two at a boundary near the middle (clause punctuation preferred, else a word
    /// boundary); null when it is a single word.
    /// </summary>
    public (PreparedText Head, PreparedText Tail)? SplitInTwo(PreparedText text)
    {
        var cut = FindCut(text, Math.Max(1, Bytes(text) / 2));
        if (cut <= 0 || cut >= text.Text.Length)
        {
            cut = FirstBoundaryAfter(text, text.Text.Length / 2);
        }

        if (cut <= 0 || cut >= text.Text.Length)
        {
            return null;
        }

        var head = Trim(text.Slice(0, cut));
        var tail = Trim(text.Slice(cut, text.Text.Length - cut));
        return head.Text.Length == 0 || tail.Text.Length == 0 ? null : (head, tail);
    }

    /// <summary>
    /// The character index to cut at so that the head has at most <paramref name="budget"/> bytes: after the last clause
    /// punctuation within the budget if any, else at the last word boundary within it, else after the first word.
    /// </summary>
    internal int FindCut(PreparedText text, int budget)
    {
        var s = text.Text;
        var segments = _segmenter.Cut(s);
        var bytes = 0;
        var lastWord = -1;
        var lastClause = -1;
        foreach (var seg in segments)
        {
            var segBytes = CharClasses.Utf8Length(s.AsSpan(seg.Start, seg.Length));
            if (bytes + segBytes > budget)
            {
                break;
            }

            bytes += segBytes;
            lastWord = seg.End;
            if (seg.Length == 1 && SoftBreak.Contains(s[seg.Start], StringComparison.Ordinal))
            {
                lastClause = seg.End;
            }
        }

        if (lastClause > 0)
        {
            return lastClause;
        }

        if (lastWord > 0)
        {
            return lastWord;
        }

        return segments.Count > 1 ? segments[0].End : s.Length;
    }

    private int FirstBoundaryAfter(PreparedText text, int at)
    {
        foreach (var seg in _segmenter.Cut(text.Text))
        {
            if (seg.Start >= at && seg.Start > 0)
            {
                return seg.Start;
            }
        }

        return -1;
    }

    /// <summary><c>re.split(r"(?&lt;=[;:,.!?])\s+|(?&lt;=[；：，。！？])", text)</c>.</summary>
    internal static List<PreparedText> SplitSentences(PreparedText text)
    {
        var s = text.Text;
        var result = new List<PreparedText>();
        var start = 0;
        var i = 1;
        while (i <= s.Length)
        {
            var prev = s[i - 1];
            if (i < s.Length && AsciiBreak.Contains(prev, StringComparison.Ordinal) && CharClasses.IsPythonSpace(s[i]))
            {
                var end = i;
                while (end < s.Length && CharClasses.IsPythonSpace(s[end]))
                {
                    end++;
                }

                result.Add(text.Slice(start, i - start));
                start = end;
                i = end + 1;
                continue;
            }

            if (CjkBreak.Contains(prev, StringComparison.Ordinal))
            {
                result.Add(text.Slice(start, i - start));
                start = i;
            }

            i++;
        }

        result.Add(text.Slice(start, s.Length - start));
        return result;
    }

    // current += sentence + " " if sentence's last character is 1-byte UTF-8, else sentence.
    private static PreparedText AppendSentence(PreparedText current, PreparedText sentence)
    {
        var joined = current.Append(sentence);
        return sentence.Text.Length > 0 && sentence.Text[^1] < 0x80
            ? joined.Append(new PreparedText(" ", new Dictionary<int, string>()))
            : joined;
    }

    private static void AddChunk(List<PreparedText> chunks, PreparedText current)
    {
        var trimmed = Trim(current);
        if (trimmed.Text.Length > 0)
        {
            chunks.Add(trimmed);
        }
    }

    /// <summary>Python <c>str.strip()</c>.</summary>
    internal static PreparedText Trim(PreparedText text)
    {
        var s = text.Text;
        var a = 0;
        var b = s.Length;
        while (a < b && CharClasses.IsPythonSpace(s[a]))
        {
            a++;
        }

        while (b > a && CharClasses.IsPythonSpace(s[b - 1]))
        {
            b--;
        }

        return a == 0 && b == s.Length ? text : text.Slice(a, b - a);
    }

    private static int Bytes(PreparedText t) => CharClasses.Utf8Length(t.Text);
}
