namespace F5Tts.Inference.Text;

/// <summary>
/// User lexicon (<c>F5Tts:Text:LexiconPath</c>): fixed readings for whole words. Each word is added to the jieba
/// dictionary (so it segments as one word, with jieba's <c>suggest_freq</c> frequency) and to the pinyin phrase table
/// (so it is read as written, without tone sandhi). Format, UTF-8, one entry per line:
/// <code>
/// # comment
/// 银行行长	yin2 hang2 hang2 zhang3
/// 重庆 chong2 qing4
/// </code>
/// The word is Chinese characters only; then one syllable per character (TONE3, tone marks or ü accepted).
/// </summary>
internal static class Lexicon
{
    /// <summary>Reads and validates a lexicon file; errors name the file and line.</summary>
    /// <exception cref="InvalidDataException">A malformed line.</exception>
    public static Dictionary<string, string[]> Load(string path, Vocabulary vocabulary) =>
        Parse(File.ReadAllLines(path, System.Text.Encoding.UTF8), path, vocabulary);

    /// <summary>Parses lexicon lines; <paramref name="source"/> names them in errors.</summary>
    public static Dictionary<string, string[]> Parse(IEnumerable<string> lines, string source, Vocabulary vocabulary)
    {
        var entries = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var raw in lines)
        {
            lineNo++;
            var line = raw.Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var word = parts[0];
            foreach (var c in word)
            {
                if (!CharClasses.IsJiebaHan(c))
                {
                    throw new InvalidDataException(
                        $"{source}:{lineNo}: '{word}' must consist of Chinese characters (U+4E00–U+9FD5) only.");
                }
            }

            if (parts.Length - 1 != word.Length)
            {
                throw new InvalidDataException(
                    $"{source}:{lineNo}: '{word}' has {word.Length} characters but {parts.Length - 1} syllables; give one syllable per character.");
            }

            var readings = new string[word.Length];
            for (var i = 0; i < readings.Length; i++)
            {
                var s = PinyinSyllable.Normalize(parts[i + 1])
                    ?? throw new InvalidDataException($"{source}:{lineNo}: '{parts[i + 1]}' is not a pinyin syllable.");
                if (!vocabulary.Contains(s))
                {
                    throw new InvalidDataException(
                        $"{source}:{lineNo}: '{parts[i + 1]}' ({s}) is not in the model vocabulary, so the model cannot say it.");
                }

                readings[i] = s;
            }

            entries[word] = readings;
        }

        return entries;
    }
}
