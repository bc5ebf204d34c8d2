using System.Globalization;
using System.Text.RegularExpressions;

namespace F5Tts.Inference.Text;

/// <summary>
/// Optional verbalisation of numbers, decimals, percentages, dates, times, currency amounts and phone numbers, in
/// Chinese or English depending on the surrounding text (docs/text-frontend.md, "Normalisation"). Upstream F5-TTS
/// has nothing of the kind (digits are spoken as the model guesses); text without digits or currency signs passes
/// through unchanged. Stateless.
/// </summary>
internal static partial class TextNormalizer
{
    private static readonly HashSet<char> ZhMeasureWordsForLiang = [.. "个位只本条张次件天种名岁点块辆台分头双对"];

    [GeneratedRegex("""
        (?<zhdate>(?<!\d)(?<zy>\d{4})年(?:(?<zm>\d{1,2})月(?:(?<zd>\d{1,2})[日号])?)?)
        |(?<zhmd>(?<!\d)(?<zm2>\d{1,2})月(?<zd2>\d{1,2})[日号])
        |(?<isodate>(?<!\d)(?<iy>\d{4})[-/.](?<im>\d{1,2})[-/.](?<id>\d{1,2})(?!\d|\.\d))
        |(?<usdate>(?<!\d)(?<um>\d{1,2})/(?<ud>\d{1,2})/(?<uy>\d{4})(?!\d))
        |(?<time>(?<!\d)(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2}))?(?![\d:]))
        |(?<phone>(?<![A-Za-z0-9_])(?:\+\d{1,3}[ -]?\(?\d{2,4}\)?[ -]?\d{3,4}[ -]?\d{3,4}|\(\d{2,4}\)\s?\d{3,4}[ -]\d{4}|\d{3}-\d{3,4}-\d{4}|0\d{2,3}-\d{7,8})(?!\d))
        |(?<mobile>(?<!\d)1[3-9]\d{9}(?!\d))
        |(?<cur>(?<sym>[$¥￥€£])\s?(?<camt>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?<cfrac>\d+))?)
        |(?<pct>(?<pneg>(?<![A-Za-z0-9_.])-)?(?<pint>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?<pfrac>\d+))?\s?[%％])
        |(?<ord>(?<![\w.])(?<oval>\d{1,9})(?<osuf>st|nd|rd|th)\b)
        |(?<num>(?<neg>(?<![A-Za-z0-9_.])-)?(?<![A-Za-z])(?<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?<frac>\d+))?)
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();

    /// <summary>Verbalises <paramref name="text"/>; returns it unchanged when there is nothing to do.</summary>
    public static string Normalize(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('0', '9'))
        {
            return text;
        }

        var defaultZh = PreferChinese(text);
        return Pattern().Replace(text, m => Verbalize(text, m, defaultZh));
    }

    private static string Verbalize(string text, Match m, bool defaultZh)
    {
        var zh = IsChineseContext(text, m.Index, m.Length, defaultZh);
        var g = m.Groups;
        if (g["zhdate"].Success)
        {
            return ChineseDate(m);
        }

        if (g["zhmd"].Success)
        {
            return ValidMonth(g["zm2"].Value) && ValidDay(g["zd2"].Value)
                ? ChineseNumbers.Cardinal(g["zm2"].ValueSpan) + "月" + ChineseNumbers.Cardinal(g["zd2"].ValueSpan) + m.Value[^1]
                : NumbersOnly(m.Value, true);
        }

        if (g["isodate"].Success || g["usdate"].Success)
        {
            return NumericDate(m, zh);
        }

        if (g["time"].Success)
        {
            return Time(m, zh);
        }

        if (g["phone"].Success || g["mobile"].Success)
        {
            return zh ? PhoneZh(m.Value) : PhoneEn(m.Value);
        }

        if (g["cur"].Success)
        {
            return Currency(g["sym"].Value[0], Digits(g["camt"].Value), g["cfrac"].Success ? g["cfrac"].Value : string.Empty, zh);
        }

        if (g["pct"].Success)
        {
            var intPart = Digits(g["pint"].Value);
            var frac = g["pfrac"].Success ? g["pfrac"].Value : string.Empty;
            var neg = g["pneg"].Success;
            return zh
                ? (neg ? "负" : string.Empty) + "百分之" + ChineseNumbers.Decimal(intPart, frac)
                : (neg ? "minus " : string.Empty) + EnglishNumbers.Decimal(intPart, frac) + " percent";
        }

        if (g["ord"].Success)
        {
            var v = long.Parse(g["oval"].Value, CultureInfo.InvariantCulture);
            var expected = Suffix(v);
            return string.Equals(expected, g["osuf"].Value, StringComparison.Ordinal)
                ? EnglishNumbers.Ordinal(v)
                : m.Value;
        }

        return PlainNumber(text, m, zh);
    }

    private static string ChineseDate(Match m)
    {
        var g = m.Groups;
        var s = ChineseNumbers.DigitByDigit(g["zy"].ValueSpan) + "年";
        if (g["zm"].Success)
        {
            if (!ValidMonth(g["zm"].Value))
            {
                return s + NumbersOnly(m.Value[(g["zm"].Index - m.Index)..], true);
            }

            s += ChineseNumbers.Cardinal(g["zm"].ValueSpan) + "月";
            if (g["zd"].Success)
            {
                s += ChineseNumbers.Cardinal(g["zd"].ValueSpan) + m.Value[^1];
            }
        }

        return s;
    }

    private static string NumericDate(Match m, bool zh)
    {
        var g = m.Groups;
        var iso = g["isodate"].Success;
        var y = iso ? g["iy"].Value : g["uy"].Value;
        var mo = iso ? g["im"].Value : g["um"].Value;
        var d = iso ? g["id"].Value : g["ud"].Value;
        if (!ValidMonth(mo) || !ValidDay(d))
        {
            return NumbersOnly(m.Value, zh);
        }

        if (zh)
        {
            return ChineseNumbers.DigitByDigit(y) + "年" + ChineseNumbers.Cardinal(mo) + "月" + ChineseNumbers.Cardinal(d) + "日";
        }

        return EnglishNumbers.Months[Int(mo) - 1] + " " + EnglishNumbers.Ordinal(Int(d)) + ", " + EnglishNumbers.Year(Int(y));
    }

    private static string Time(Match m, bool zh)
    {
        var g = m.Groups;
        var h = Int(g["h"].Value);
        var mi = Int(g["mi"].Value);
        var s = g["s"].Success ? Int(g["s"].Value) : -1;
        if (h > 24 || mi > 59 || s > 59)
        {
            return NumbersOnly(m.Value, zh);
        }

        if (zh)
        {
            var r = (h == 2 ? "两" : ChineseNumbers.Cardinal(g["h"].ValueSpan)) + "点";
            if (mi > 0 || s > 0)
            {
                r += (mi < 10 ? "零" + ChineseNumbers.Cardinal(g["mi"].ValueSpan) : ChineseNumbers.Cardinal(g["mi"].ValueSpan)) + "分";
            }

            if (s > 0)
            {
                r += ChineseNumbers.Cardinal(g["s"].ValueSpan) + "秒";
            }

            return r;
        }

        var en = EnglishNumbers.Cardinal(h) + (mi == 0 ? (s > 0 ? " hundred" : " o'clock") :
            mi < 10 ? " oh " + EnglishNumbers.Cardinal(mi) : " " + EnglishNumbers.Cardinal(mi));
        if (s > 0)
        {
            en += " and " + EnglishNumbers.Cardinal(s) + (s == 1 ? " second" : " seconds");
        }

        return en;
    }

    private static string PlainNumber(string text, Match m, bool zh)
    {
        var g = m.Groups;
        var integer = Digits(g["int"].Value);
        var fraction = g["frac"].Success ? g["frac"].Value : string.Empty;
        var negative = g["neg"].Success;
        if (zh)
        {
            var after = m.Index + m.Length < text.Length ? text[m.Index + m.Length] : '\0';
            if (!negative && fraction.Length == 0 && integer == "2" && ZhMeasureWordsForLiang.Contains(after))
            {
                return "两";
            }

            // Long digit strings (ids, codes) and numbers with leading zeros are read digit by digit.
            var word = integer.Length > 12 || (integer.Length > 1 && integer[0] == '0')
                ? ChineseNumbers.DigitByDigit(integer) + (fraction.Length > 0 ? "点" + ChineseNumbers.DigitByDigit(fraction) : string.Empty)
                : ChineseNumbers.Decimal(integer, fraction);
            return (negative ? "负" : string.Empty) + word;
        }

        if (!negative && fraction.Length == 0 && integer.Length == 4 && int.Parse(integer, CultureInfo.InvariantCulture) is >= 1100 and <= 2099
            && PrecedingWord(text, m.Index) is "in" or "since" or "by" or "from" or "until" or "till" or "year")
        {
            return EnglishNumbers.Year(int.Parse(integer, CultureInfo.InvariantCulture)); // "in 1999" → nineteen ninety-nine
        }

        var enWord = integer.Length > 15 || (integer.Length > 1 && integer[0] == '0')
            ? EnglishNumbers.DigitByDigit(integer) + (fraction.Length > 0 ? " point " + EnglishNumbers.DigitByDigit(fraction) : string.Empty)
            : EnglishNumbers.Decimal(integer, fraction);
        return (negative ? "minus " : string.Empty) + enWord;
    }

    private static string Currency(char symbol, string amount, string fraction, bool zh)
    {
        if (zh)
        {
            var unit = symbol switch { '$' => "美元", '€' => "欧元", '£' => "英镑", _ => "元" };
            if (unit == "元" && fraction.Length is 1 or 2)
            {
                var jiao = fraction[0] - '0';
                var fen = fraction.Length == 2 ? fraction[1] - '0' : 0;
                var r = ChineseNumbers.Cardinal(amount) + "元";
                if (jiao > 0)
                {
                    r += ChineseNumbers.Cardinal(jiao.ToString(CultureInfo.InvariantCulture)) + "角";
                }

                if (fen > 0)
                {
                    r += (jiao == 0 ? "零" : string.Empty) + ChineseNumbers.Cardinal(fen.ToString(CultureInfo.InvariantCulture)) + "分";
                }

                return r;
            }

            return ChineseNumbers.Decimal(amount, fraction) + unit;
        }

        var (major, majorPlural, minor, minorPlural) = symbol switch
        {
            '$' => ("dollar", "dollars", "cent", "cents"),
            '€' => ("euro", "euros", "cent", "cents"),
            '£' => ("pound", "pounds", "penny", "pence"),
            _ => ("yuan", "yuan", "fen", "fen"),
        };
        if (fraction.Length > 2)
        {
            return EnglishNumbers.Decimal(amount, fraction) + " " + majorPlural;
        }

        var units = long.Parse(amount, CultureInfo.InvariantCulture);
        var cents = fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(2, '0'), CultureInfo.InvariantCulture);
        var parts = new List<string>(2);
        if (units > 0 || cents == 0)
        {
            parts.Add(EnglishNumbers.Cardinal(amount) + " " + (units == 1 ? major : majorPlural));
        }

        if (cents > 0)
        {
            parts.Add(EnglishNumbers.Cardinal(cents) + " " + (cents == 1 ? minor : minorPlural));
        }

        return string.Join(' ', parts);
    }

    private static string PhoneZh(string value)
    {
        var plus = value.StartsWith('+');
        var groups = value.Split([' ', '-', '(', ')'], StringSplitOptions.RemoveEmptyEntries);
        var words = groups.Select(grp => ChineseNumbers.DigitByDigit(grp, phone: true));
        return (plus ? "加" : string.Empty) + string.Join('，', words);
    }

    private static string PhoneEn(string value)
    {
        var plus = value.StartsWith('+');
        var groups = value.Split([' ', '-', '(', ')'], StringSplitOptions.RemoveEmptyEntries);
        return (plus ? "plus " : string.Empty) + string.Join(", ", groups.Select(grp => EnglishNumbers.DigitByDigit(grp)));
    }

    [GeneratedRegex(@"(?<![A-Za-z])\d+(?:\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex NumberOnly();

    private static string NumbersOnly(string value, bool zh) => NumberOnly().Replace(value, n =>
    {
        var dot = n.Value.IndexOf('.', StringComparison.Ordinal);
        var i = dot < 0 ? n.Value : n.Value[..dot];
        var f = dot < 0 ? string.Empty : n.Value[(dot + 1)..];
        return zh ? ChineseNumbers.Decimal(i, f) : EnglishNumbers.Decimal(i, f);
    });

    private static string Suffix(long v) => (v % 100) is 11 or 12 or 13 ? "th" : (v % 10) switch
    {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    };

    private static string PrecedingWord(string text, int index)
    {
        var end = index;
        while (end > 0 && text[end - 1] == ' ')
        {
            end--;
        }

        var start = end;
        while (start > 0 && char.IsAsciiLetter(text[start - 1]))
        {
            start--;
        }

        return text[start..end].ToLowerInvariant();
    }

    private static bool ValidMonth(string s) => Int(s) is >= 1 and <= 12;

    private static bool ValidDay(string s) => Int(s) is >= 1 and <= 31;

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static string Digits(string s) => s.Replace(",", string.Empty, StringComparison.Ordinal);

    /// <summary>Whole-text fallback: Chinese when it has at least as many Han characters as Latin letters (and some).</summary>
    private static bool PreferChinese(string text)
    {
        int han = 0, latin = 0;
        foreach (var c in text)
        {
            if (CharClasses.IsPypinyinHan(c))
            {
                han++;
            }
            else if (char.IsAsciiLetter(c))
            {
                latin++;
            }
        }

        return han > 0 && han >= latin;
    }

    /// <summary>
    /// The language of one number: the nearest letter after it (units such as 年, 元, 个 follow numbers in Chinese),
    /// else the nearest letter before it, within a few characters; otherwise the whole text decides.
    /// </summary>
    private static bool IsChineseContext(string text, int index, int length, bool fallback)
    {
        const int Window = 6;
        for (var i = index + length; i < text.Length && i < index + length + Window; i++)
        {
            var c = text[i];
            if (CharClasses.IsPypinyinHan(c))
            {
                return true;
            }

            if (char.IsAsciiLetter(c))
            {
                return false;
            }
        }

        for (var i = index - 1; i >= 0 && i >= index - Window; i--)
        {
            var c = text[i];
            if (CharClasses.IsPypinyinHan(c))
            {
                return true;
            }

            if (char.IsAsciiLetter(c))
            {
                return false;
            }
        }

        return fallback;
    }
}
