using System.Text;

namespace F5Tts.Inference.Text;

/// <summary>Text ready for the tokenizer: markup removed, forced readings by character index.</summary>
/// <param name="Text">The plain text.</param>
/// <param name="Overrides">Reading (vocabulary TONE3 spelling) per character index of <paramref name="Text"/>.</param>
internal sealed record PreparedText(string Text, IReadOnlyDictionary<int, string> Overrides)
{
    public static readonly PreparedText Empty = new(string.Empty, new Dictionary<int, string>());

    /// <summary>Concatenation, shifting the second text's overrides.</summary>
    public PreparedText Append(PreparedText other)
    {
        if (other.Overrides.Count == 0 && Overrides.Count == 0)
        {
            return new PreparedText(Text + other.Text, Overrides);
        }

        var merged = new Dictionary<int, string>(Overrides);
        foreach (var (i, r) in other.Overrides)
        {
            merged[Text.Length + i] = r;
        }

        return new PreparedText(Text + other.Text, merged);
    }

    /// <summary>A slice, keeping the overrides that fall inside it.</summary>
    public PreparedText Slice(int start, int length)
    {
        var o = new Dictionary<int, string>();
        foreach (var (i, r) in Overrides)
        {
            if (i >= start && i < start + length)
            {
                o[i - start] = r;
            }
        }

        return new PreparedText(Text.Substring(start, length), o);
    }

    /// <summary>Writes the text back with inline markup, so that it round-trips through <see cref="PronunciationMarkup.Split"/>.</summary>
    public string ToMarkup()
    {
        if (Overrides.Count == 0)
        {
            return Text;
        }

        // Consecutive overridden characters are written as one group: 行长<hang2 zhang3>.
        var sb = new StringBuilder(Text.Length + Overrides.Count * 8);
        var group = new List<string>();
        for (var i = 0; i < Text.Length; i++)
        {
            sb.Append(Text[i]);
            if (Overrides.TryGetValue(i, out var r))
            {
                group.Add(r);
                if (!Overrides.ContainsKey(i + 1))
                {
                    sb.Append('<').AppendJoin(' ', group).Append('>');
                    group.Clear();
                }
            }
        }

        return sb.ToString();
    }
}

/// <summary>
/// Inline pronunciation overrides: <c>行&lt;hang2&gt;</c> forces the reading of the Chinese character before the
/// angle brackets; <c>银行&lt;yin2 hang2&gt;</c> (n syllables) those of the n characters before them. Syllables are TONE3
/// (<c>hang2</c>, neutral tone without digit or with 5), tone marks (<c>háng</c>) and ü (<c>lü4</c>, <c>lv4</c>) are
/// accepted; each must exist in the model vocabulary. A <c>&lt;</c> that does not follow a Chinese character is
/// ordinary text (upstream reads it as a space, since it is not in the vocabulary). docs/text-frontend.md.
/// </summary>
internal static class PronunciationMarkup
{
    /// <summary>A piece of plain text followed, optionally, by the readings that apply to its last characters.</summary>
    internal readonly record struct Piece(string Text, string[]? Readings);

    /// <summary>Splits <paramref name="text"/> into pieces; throws <see cref="TextInputException"/> on bad markup.</summary>
    public static List<Piece> Split(string text, Vocabulary vocabulary)
    {
        var pieces = new List<Piece>();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '<' || i == 0 || !IsOverridable(text[i - 1]))
            {
                i++;
                continue;
            }

            var close = text.IndexOf('>', i + 1);
            if (close < 0)
            {
                throw new TextInputException(TextErrorKind.InvalidInput,
                    $"Pronunciation override at position {i} is not closed: expected '>' after '{Excerpt(text, i)}'.");
            }

            var inner = text[(i + 1)..close];
            var parts = inner.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                throw new TextInputException(TextErrorKind.InvalidInput,
                    $"Pronunciation override at position {i} is empty; write e.g. 行<hang2>.");
            }

            var han = 0;
            for (var k = i - 1; k >= start && IsOverridable(text[k]); k--)
            {
                han++;
            }

            if (parts.Length > han)
            {
                throw new TextInputException(TextErrorKind.InvalidInput,
                    $"Pronunciation override '<{inner}>' at position {i} has {parts.Length} syllables but follows only {han} Chinese character(s).");
            }

            var readings = new string[parts.Length];
            for (var p = 0; p < parts.Length; p++)
            {
                var normalized = PinyinSyllable.Normalize(parts[p]);
                if (normalized is null)
                {
                    throw new TextInputException(TextErrorKind.InvalidInput,
                        $"'{parts[p]}' in pronunciation override '<{inner}>' is not a pinyin syllable (use e.g. hang2, háng or lv4).");
                }

                if (!vocabulary.Contains(normalized))
                {
                    throw new TextInputException(TextErrorKind.InvalidInput,
                        $"'{parts[p]}' ({normalized}) in pronunciation override '<{inner}>' is not a syllable the model knows.");
                }

                readings[p] = normalized;
            }

            pieces.Add(new Piece(text[start..i], readings));
            start = close + 1;
            i = start;
        }

        if (start < text.Length || pieces.Count == 0)
        {
            pieces.Add(new Piece(text[start..], null));
        }

        return pieces;
    }

    /// <summary>Assembles pieces (after optional normalisation of each) into a <see cref="PreparedText"/>.</summary>
    public static PreparedText Assemble(IReadOnlyList<Piece> pieces)
    {
        var sb = new StringBuilder();
        var overrides = new Dictionary<int, string>();
        foreach (var piece in pieces)
        {
            sb.Append(piece.Text);
            if (piece.Readings is { } readings)
            {
                for (var r = 0; r < readings.Length; r++)
                {
                    var index = sb.Length - readings.Length + r;
                    if (index < 0 || !IsOverridable(sb[index]))
                    {
                        throw new TextInputException(TextErrorKind.InvalidInput,
                            $"Pronunciation override <{string.Join(' ', readings)}> no longer follows Chinese characters after normalisation.");
                    }

                    overrides[index] = readings[r];
                }
            }
        }

        return new PreparedText(sb.ToString(), overrides);
    }

    /// <summary>Characters that get a pinyin reading in the tokenizer (BMP pypinyin Han).</summary>
    public static bool IsOverridable(char c) => CharClasses.IsPypinyinHan(c);

    private static string Excerpt(string text, int at) => text[Math.Max(0, at - 10)..Math.Min(text.Length, at + 1)];
}
