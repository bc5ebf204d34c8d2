using System.Text;

namespace F5Tts.Inference.Text;

/// <summary>Chinese readings of numbers (Mandarin, simplified characters).</summary>
internal static class ChineseNumbers
{
    private static readonly string[] Digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

    /// <summary>Digit by digit: 2024 → 二零二四. <paramref name="phone"/> reads 1 as 幺, as Chinese phone numbers are read.</summary>
    public static string DigitByDigit(ReadOnlySpan<char> digits, bool phone = false)
    {
        var sb = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            if (char.IsAsciiDigit(c))
            {
                sb.Append(phone && c == '1' ? "幺" : Digits[c - '0']);
            }
        }

        return sb.ToString();
    }

    /// <summary>Cardinal: 24 → 二十四, 105 → 一百零五, 10 → 十, 20000 → 两万 is NOT used (二万) to stay literal.</summary>
    public static string Cardinal(ReadOnlySpan<char> digits)
    {
        digits = digits.TrimStart('0');
        if (digits.IsEmpty)
        {
            return "零";
        }

        if (digits.Length > 16)
        {
            return DigitByDigit(digits);
        }

        // Groups of four from the right: 亿 (10^8), 万 (10^4), units; 10^12 is 万亿.
        var sb = new StringBuilder();
        var groups = (digits.Length + 3) / 4;
        var pendingZero = false;
        for (var g = 0; g < groups; g++)
        {
            var end = digits.Length - (groups - 1 - g) * 4;
            var start = Math.Max(0, end - 4);
            var group = digits[start..end];
            var value = int.Parse(group, System.Globalization.CultureInfo.InvariantCulture);
            var power = groups - 1 - g;
            if (value == 0)
            {
                pendingZero = sb.Length > 0;
                continue;
            }

            if (sb.Length > 0 && (pendingZero || value < 1000))
            {
                sb.Append('零');
            }

            pendingZero = false;
            sb.Append(Below10000(value, sb.Length == 0));
            sb.Append(power switch { 1 => "万", 2 => "亿", 3 => "万亿", _ => string.Empty });
        }

        return sb.ToString();
    }

    private static string Below10000(int value, bool leading)
    {
        var sb = new StringBuilder();
        int[] units = [1000, 100, 10, 1];
        string[] names = ["千", "百", "十", string.Empty];
        var zero = false;
        for (var u = 0; u < 4; u++)
        {
            var d = value / units[u] % 10;
            if (d == 0)
            {
                zero = sb.Length > 0;
                continue;
            }

            if (zero)
            {
                sb.Append('零');
                zero = false;
            }

            // 10–19 at the very start read 十, 十一 …; elsewhere 一十.
            if (!(u == 2 && d == 1 && leading && sb.Length == 0))
            {
                sb.Append(Digits[d]);
            }

            sb.Append(names[u]);
        }

        return sb.ToString();
    }

    /// <summary>Decimal: 24.67 → 二十四点六七.</summary>
    public static string Decimal(ReadOnlySpan<char> integerPart, ReadOnlySpan<char> fraction) =>
        fraction.IsEmpty ? Cardinal(integerPart) : Cardinal(integerPart) + "点" + DigitByDigit(fraction);
}

/// <summary>English readings of numbers.</summary>
internal static class EnglishNumbers
{
    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    private static readonly string[] Scales = ["", " thousand", " million", " billion", " trillion"];

    /// <summary>Digit by digit with spaces: "555" → "five five five".</summary>
    public static string DigitByDigit(ReadOnlySpan<char> digits)
    {
        var sb = new StringBuilder();
        foreach (var c in digits)
        {
            if (char.IsAsciiDigit(c))
            {
                if (sb.Length > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(Ones[c - '0']);
            }
        }

        return sb.ToString();
    }

    /// <summary>Cardinal: 1234 → "one thousand two hundred thirty-four".</summary>
    public static string Cardinal(ReadOnlySpan<char> digits)
    {
        digits = digits.TrimStart('0');
        if (digits.IsEmpty)
        {
            return "zero";
        }

        if (digits.Length > 15)
        {
            return DigitByDigit(digits);
        }

        var value = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        return Cardinal(value);
    }

    public static string Cardinal(long value)
    {
        if (value == 0)
        {
            return "zero";
        }

        var parts = new List<string>();
        var scale = 0;
        while (value > 0)
        {
            var chunk = (int)(value % 1000);
            if (chunk > 0)
            {
                parts.Insert(0, Below1000(chunk) + Scales[scale]);
            }

            value /= 1000;
            scale++;
        }

        return string.Join(' ', parts);
    }

    public static string Below100(int n) =>
        n < 20 ? Ones[n] : Tens[n / 10] + (n % 10 == 0 ? string.Empty : "-" + Ones[n % 10]);

    private static string Below1000(int n)
    {
        if (n < 100)
        {
            return Below100(n);
        }

        var rest = n % 100;
        return Ones[n / 100] + " hundred" + (rest == 0 ? string.Empty : " " + Below100(rest));
    }

    /// <summary>Ordinal: 1 → first, 22 → twenty-second.</summary>
    public static string Ordinal(long value)
    {
        var cardinal = Cardinal(value);
        var lastSep = Math.Max(cardinal.LastIndexOf(' '), cardinal.LastIndexOf('-'));
        var head = cardinal[..(lastSep + 1)];
        var last = cardinal[(lastSep + 1)..];
        var ord = last switch
        {
            "one" => "first",
            "two" => "second",
            "three" => "third",
            "five" => "fifth",
            "eight" => "eighth",
            "nine" => "ninth",
            "twelve" => "twelfth",
            _ when last.EndsWith('y') => last[..^1] + "ieth",
            _ => last + "th",
        };
        return head + ord;
    }

    /// <summary>Year: 1999 → nineteen ninety-nine, 2005 → two thousand five, 2024 → twenty twenty-four.</summary>
    public static string Year(int year)
    {
        if (year is < 1000 or > 9999)
        {
            return Cardinal(year);
        }

        var hi = year / 100;
        var lo = year % 100;
        if (year % 1000 < 10 && year % 1000 != 0 || year % 1000 == 0)
        {
            return Cardinal(year); // 2000 → two thousand, 2005 → two thousand five
        }

        if (lo == 0)
        {
            return Below100(hi) + " hundred";
        }

        return Below100(hi) + (lo < 10 ? " oh " + Ones[lo] : " " + Below100(lo));
    }

    /// <summary>Decimal: 24.67 → twenty-four point six seven.</summary>
    public static string Decimal(ReadOnlySpan<char> integerPart, ReadOnlySpan<char> fraction) =>
        fraction.IsEmpty ? Cardinal(integerPart) : Cardinal(integerPart) + " point " + DigitByDigit(fraction);

    public static readonly string[] Months =
    [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ];
}
