using System.Text;

namespace F5Tts.Inference.Text;

/// <summary>
/// Normalises a user-written pinyin syllable (inline override or lexicon) to the vocabulary's TONE3 spelling:
/// lower case, ü / u: / v → <c>v</c>, tone marks → trailing digit, tone 5 or 0 (neutral) → no digit.
/// </summary>
internal static class PinyinSyllable
{
    // Tone-marked vowel -> (base letter, tone).
    private static readonly Dictionary<char, (string Base, int Tone)> Marks = new()
    {
        ['ā'] = ("a", 1), ['á'] = ("a", 2), ['ǎ'] = ("a", 3), ['à'] = ("a", 4),
        ['ē'] = ("e", 1), ['é'] = ("e", 2), ['ě'] = ("e", 3), ['è'] = ("e", 4),
        ['ī'] = ("i", 1), ['í'] = ("i", 2), ['ǐ'] = ("i", 3), ['ì'] = ("i", 4),
        ['ō'] = ("o", 1), ['ó'] = ("o", 2), ['ǒ'] = ("o", 3), ['ò'] = ("o", 4),
        ['ū'] = ("u", 1), ['ú'] = ("u", 2), ['ǔ'] = ("u", 3), ['ù'] = ("u", 4),
        ['ǖ'] = ("v", 1), ['ǘ'] = ("v", 2), ['ǚ'] = ("v", 3), ['ǜ'] = ("v", 4),
        ['ü'] = ("v", 0), ['ń'] = ("n", 2), ['ň'] = ("n", 3), ['ǹ'] = ("n", 4), ['ḿ'] = ("m", 2),
    };

    /// <summary>Returns the TONE3 form, or null when <paramref name="raw"/> is not a well-formed syllable.</summary>
    public static string? Normalize(string raw)
    {
        var s = raw.Trim().ToLowerInvariant().Replace("u:", "v", StringComparison.Ordinal);
        if (s.Length is 0 or > 8)
        {
            return null;
        }

        // The tone digit, if any, must be the last character: "ha2ng" is rejected.
        var digitAt = s.AsSpan().IndexOfAnyInRange('0', '9');
        if (digitAt >= 0 && digitAt != s.Length - 1)
        {
            return null;
        }

        var sb = new StringBuilder(s.Length + 1);
        var tone = -1;
        foreach (var c in s)
        {
            if (c is >= 'a' and <= 'z')
            {
                sb.Append(c);
            }
            else if (Marks.TryGetValue(c, out var m))
            {
                sb.Append(m.Base);
                if (m.Tone > 0)
                {
                    if (tone > 0)
                    {
                        return null; // two tone marks
                    }

                    tone = m.Tone;
                }
            }
            else if (c is >= '0' and <= '5' && sb.Length > 0 && tone <= 0)
            {
                tone = c - '0';
            }
            else
            {
                return null;
            }
        }

        if (sb.Length == 0)
        {
            return null;
        }

        if (tone is > 0 and < 5)
        {
            sb.Append((char)('0' + tone));
        }

        return sb.ToString();
    }
}
