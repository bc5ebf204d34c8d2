using System.Globalization;

namespace F5Tts.Inference.Text;

/// <summary>
/// pypinyin 0.55.0 <c>lazy_pinyin(text, style=Style.TONE3, tone_sandhi=True)</c> for a run of BMP characters, from the
/// embedded pypinyin dictionary data (docs/text-frontend.md, "Pinyin"). Immutable after construction.
/// </summary>
internal sealed class PinyinConverter
{
    private readonly Dictionary<int, string> _chars;
    private readonly Dictionary<string, Phrase> _phrases;
    private readonly Dictionary<string, Phrase>.AlternateLookup<ReadOnlySpan<char>> _phraseSpan;
    private readonly HashSet<string> _prefixes;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _prefixSpan;

    /// <summary>A phrase's readings; <see cref="Verbatim"/> phrases (user lexicon) skip tone sandhi.</summary>
    private sealed record Phrase(string[] Readings, bool Verbatim);

    /// <summary>Loads the embedded tables and adds the user lexicon (word → readings, used verbatim).</summary>
    public PinyinConverter(IReadOnlyDictionary<string, string[]>? lexicon = null)
    {
        _chars = LoadChars();
        _phrases = new Dictionary<string, Phrase>(60_000, StringComparer.Ordinal);
        _prefixes = new HashSet<string>(StringComparer.Ordinal);
        LoadPhrases();
        foreach (var (word, readings) in lexicon ?? new Dictionary<string, string[]>())
        {
            AddPhrase(word, new Phrase(readings, Verbatim: true));
        }

        _phraseSpan = _phrases.GetAlternateLookup<ReadOnlySpan<char>>();
        _prefixSpan = _prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>First TONE3 reading of one character, or null when pypinyin has none.</summary>
    public string? CharReading(int codePoint) => _chars.TryGetValue(codePoint, out var r) ? r : null;

    /// <summary>
    /// <c>lazy_pinyin</c> for <paramref name="text"/> (BMP characters), written one element per character into
    /// <paramref name="output"/> (length = text length). pypinyin returns a run of non-Han characters as a single
    /// element; F5 only calls it on all-Han segments or single characters, where both agree, so here every non-Han
    /// character simply maps to itself.
    /// </summary>
    public void Convert(ReadOnlySpan<char> text, Span<string> output)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (!CharClasses.IsPypinyinHan(text[i]))
            {
                output[i] = text[i].ToString();
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && CharClasses.IsPypinyinHan(text[i]))
            {
                i++;
            }

            ConvertHanRun(text[start..i], output[start..i]);
        }
    }

    /// <summary>pypinyin's forward maximum matching (<c>seg/simpleseg.py</c>), then readings and sandhi per word.</summary>
    private void ConvertHanRun(ReadOnlySpan<char> run, Span<string> output)
    {
        var pos = 0;
        while (pos < run.Length)
        {
            var rest = run[pos..];
            var remembered = 0;
            var k = 1;
            var ranOff = true;
            while (k <= rest.Length)
            {
                var prefix = rest[..k];
                if (!_prefixSpan.Contains(prefix))
                {
                    ranOff = false;
                    break;
                }

                if (_phraseSpan.ContainsKey(prefix))
                {
                    remembered = k;
                }

                k++;
            }

            if (remembered > 0)
            {
                WordReadings(rest[..remembered], output.Slice(pos, remembered));
                pos += remembered;
            }
            else if (!ranOff)
            {
                WordReadings(rest[..1], output.Slice(pos, 1));
                pos++;
            }
            else
            {
                // The whole rest is a prefix of some phrase but contains none: pypinyin emits every remaining
                // character as its own word and stops.
                for (var c = 0; c < rest.Length; c++)
                {
                    WordReadings(rest.Slice(c, 1), output.Slice(pos + c, 1));
                }

                pos = run.Length;
            }
        }
    }

    private void WordReadings(ReadOnlySpan<char> word, Span<string> t)
    {
        if (_phraseSpan.TryGetValue(word, out var phrase))
        {
            phrase.Readings.CopyTo(t);
            if (phrase.Verbatim)
            {
                return;
            }
        }
        else
        {
            for (var i = 0; i < word.Length; i++)
            {
                t[i] = CharReading(word[i]) ?? word[i].ToString();
            }
        }

        ToneSandhi.Apply(word, t);
    }

    private void AddPhrase(string word, Phrase phrase)
    {
        _phrases[word] = phrase;
        for (var k = 1; k <= word.Length; k++)
        {
            _prefixes.Add(word[..k]);
        }
    }

    private static Stream OpenResource(string name) =>
        typeof(PinyinConverter).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing.");

    private static Dictionary<int, string> LoadChars()
    {
        var chars = new Dictionary<int, string>(45_000);
        using var reader = new StreamReader(OpenResource("F5Tts.Text.chars.tsv"), System.Text.Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var tab1 = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab1 < 0)
            {
                continue;
            }

            var cp = int.Parse(line.AsSpan(0, tab1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var rest = line.AsSpan(tab1 + 1);
            var end = rest.IndexOfAny(',', '\t');
            chars[cp] = string.Intern((end < 0 ? rest : rest[..end]).ToString());
        }

        return chars;
    }

    private void LoadPhrases()
    {
        using var reader = new StreamReader(OpenResource("F5Tts.Text.phrases.tsv"), System.Text.Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                continue;
            }

            var word = line[..tab];
            var readings = line[(tab + 1)..].Split(' ');
            for (var i = 0; i < readings.Length; i++)
            {
                readings[i] = string.Intern(readings[i]);
            }

            if (readings.Length == word.Length)
            {
                AddPhrase(word, new Phrase(readings, Verbatim: false));
            }
        }
    }
}

/// <summary>
/// pypinyin's <c>contrib/tone_sandhi.py</c> on TONE3 strings, per word, in pypinyin's order: third tone, 不, 一.
/// The exact (sometimes surprising) rules are in docs/text-frontend.md, "Tone sandhi".
/// </summary>
internal static class ToneSandhi
{
    public static void Apply(ReadOnlySpan<char> word, Span<string> t)
    {
        ThirdTone(t);
        BuYi(word, t, '不', '4');
        BuYi(word, t, '一', '1');
    }

    private static void ThirdTone(Span<string> t)
    {
        var any = false;
        foreach (var s in t)
        {
            any |= s.Contains('3', StringComparison.Ordinal);
        }

        if (!any)
        {
            return;
        }

        var r = 0;
        for (var i = t.Length - 1; i >= 0 && t[i].Contains('3', StringComparison.Ordinal); i--)
        {
            r++;
        }

        if (r == 2)
        {
            for (var i = 0; i < t.Length; i++)
            {
                if (t[i].Contains('3', StringComparison.Ordinal))
                {
                    t[i] = t[i].Replace('3', '2');
                    return;
                }
            }
        }
        else if (r > 2)
        {
            var changed = 0;
            for (var i = 0; i < t.Length && changed < r - 1; i++)
            {
                if (t[i].Contains('3', StringComparison.Ordinal))
                {
                    t[i] = t[i].Replace('3', '2');
                    changed++;
                }
            }
        }
    }

    private static void BuYi(ReadOnlySpan<char> word, Span<string> t, char target, char lastDigit)
    {
        for (var i = 0; i < word.Length; i++)
        {
            if (word[i] != target)
            {
                continue;
            }

            if (i < word.Length - 1)
            {
                t[i] = t[i + 1].Contains('4', StringComparison.Ordinal) ? t[i].Replace('4', '2') : ReplaceDigit(t[i], '4');
            }
            else
            {
                t[i] = ReplaceDigit(t[i], lastDigit);
            }
        }
    }

    private static string ReplaceDigit(string s, char digit)
    {
        var idx = s.AsSpan().IndexOfAnyInRange('0', '9');
        if (idx < 0 || s[idx] == digit)
        {
            return s;
        }

        return string.Create(s.Length, (s, digit), static (span, st) =>
        {
            st.s.AsSpan().CopyTo(span);
            for (var i = 0; i < span.Length; i++)
            {
                if (char.IsAsciiDigit(span[i]))
                {
                    span[i] = st.digit;
                }
            }
        });
    }
}
