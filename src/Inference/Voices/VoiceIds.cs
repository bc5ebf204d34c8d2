using System.Text;
using System.Text.RegularExpressions;

namespace F5Tts.Inference.Voices;

/// <summary>Voice id rules. Ids become folder names, so only a strict slug is accepted (no dots, no separators).</summary>
public static partial class VoiceIds
{
    /// <summary>Longest id.</summary>
    public const int MaxLength = 64;

    /// <summary>True for 1–64 characters of [a-z0-9-], starting and ending with a letter or digit.</summary>
    public static bool IsValid(string? id) => id is not null && id.Length <= MaxLength && SlugRegex().IsMatch(id);

    /// <summary>Derives an id from a display name: lowercase ASCII letters/digits, other runs become '-'.</summary>
    public static string FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sb = new StringBuilder();
        bool dash = false;
        foreach (char ch in name)
        {
            char c = Fold(char.ToLowerInvariant(ch));
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                if (dash && sb.Length > 0)
                {
                    sb.Append('-');
                }

                sb.Append(c);
                dash = false;
            }
            else
            {
                dash = true;
            }

            if (sb.Length >= MaxLength - 8)
            {
                break; // leave room for a "-N" suffix
            }
        }

        return sb.Length == 0 ? "voice" : sb.ToString().TrimEnd('-');
    }

    // The service runs with invariant globalization (no ICU), so string.Normalize cannot strip accents; this folds the
    // Latin-1 and Latin Extended-A letters that names commonly carry.
    private static char Fold(char c)
    {
        const string From = "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňōŏőŕŗřśŝşšţťŧũūŭůűųŵŷźżž";
        const string To = "aaaaaaceeeeiiiinoooooouuuuyyaaaccccddeeeeegggghhiiiiijklllllnnnooorrrsssstttuuuuuuwyzzz";
        int i = From.IndexOf(c, StringComparison.Ordinal);
        return i >= 0 ? To[i] : c;
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugRegex();
}
