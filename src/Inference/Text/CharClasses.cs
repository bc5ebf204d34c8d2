namespace F5Tts.Inference.Text;

/// <summary>
/// The character classes the upstream front-end uses. Each one is a different range on purpose: jieba, pypinyin and
/// F5-TTS each define "Chinese" their own way, and reproducing the upstream tokens needs all three
/// (docs/text-frontend.md, "Three definitions of Chinese").
/// </summary>
internal static class CharClasses
{
    /// <summary>jieba's <c>re_han_default</c>: CJK U+4E00–U+9FD5, ASCII letters and digits, <c>+ # &amp; . _ % -</c>.</summary>
    public static bool IsJiebaBlockChar(char c) =>
        (c >= '\u4E00' && c <= '\u9FD5') || char.IsAsciiLetterOrDigit(c) ||
        c is '+' or '#' or '&' or '.' or '_' or '%' or '-';

    /// <summary>jieba's HMM (<c>finalseg</c>) Han class: U+4E00–U+9FD5.</summary>
    public static bool IsJiebaHan(char c) => c >= '\u4E00' && c <= '\u9FD5';

    /// <summary>F5-TTS <c>is_chinese</c>: U+3100–U+9FFF; such characters get a space token before their pinyin.</summary>
    public static bool IsF5Chinese(char c) => c >= '\u3100' && c <= '\u9FFF';

    /// <summary>pypinyin's <c>RE_HANS</c> class (characters it converts to pinyin), by code point.</summary>
    public static bool IsPypinyinHan(int cp) =>
        cp == 0x3007 || (cp >= 0xE815 && cp <= 0xE864) || cp == 0xFA18 ||
        (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A703 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81D) ||
        (cp >= 0x2B825 && cp <= 0x2BF6E) || (cp >= 0x2C029 && cp <= 0x2CE93) || cp == 0x2D016 ||
        (cp >= 0x2D11B && cp <= 0x2EBD9) || (cp >= 0x2F80A && cp <= 0x2FA1F) || (cp >= 0x30000 && cp <= 0x3134A) ||
        (cp >= 0x31350 && cp <= 0x32389);

    /// <summary>Python's <c>\s</c> / <c>str.isspace</c> for one UTF-16 unit (adds U+001C–U+001F to .NET's set).</summary>
    public static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    /// <summary>UTF-8 byte length of a string, as Python's <c>len(s.encode("utf-8"))</c>.</summary>
    public static int Utf8Length(ReadOnlySpan<char> s) => System.Text.Encoding.UTF8.GetByteCount(s);
}
