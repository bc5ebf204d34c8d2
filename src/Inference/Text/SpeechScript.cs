using System.Globalization;
using System.Text.RegularExpressions;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Text;

/// <summary>One item of a script: speech in a voice, or silence.</summary>
public abstract record ScriptItem;

/// <summary>Text to speak; <paramref name="Voice"/> is the tag's voice id, null for the request's voice.</summary>
public sealed record ScriptSpeech(string Text, string? Voice) : ScriptItem;

/// <summary>Exact silence.</summary>
public sealed record ScriptPause(TimeSpan Duration) : ScriptItem;

/// <summary>Limits of a script (from <c>F5Tts:Script</c>).</summary>
/// <param name="MaxPauseSeconds">Longest single pause.</param>
/// <param name="MaxItems">Most speech segments and pauses in one text.</param>
public sealed record ScriptLimits(double MaxPauseSeconds, int MaxItems);

/// <summary>
/// The markup of <c>/v1/tts</c> texts that the text front-end never sees (docs/dub.md "Pauses and dialogue"): pauses
/// <c>[pause 500ms]</c> / <c>[pause 1.5s]</c> and SSML-style <c>&lt;break time="500ms"/&gt;</c>, and, in dialogue mode,
/// voice tags <c>[alice]</c> that switch the voice until the next tag. It is read from the raw text, before
/// normalisation and the pronunciation overrides, which it leaves in the speech (<c>行&lt;hang2&gt;</c> is not a tag).
/// Pure.
/// </summary>
public static partial class SpeechScript
{
    /// <summary>
    /// The script of <paramref name="text"/>, or null when the text has no markup (the plain path, unchanged). Voice
    /// tags are only read when <paramref name="dialogue"/> is on; bracketed text is otherwise left as it is.
    /// </summary>
    /// <exception cref="TtsException">400 naming the tag: malformed pause or break, pause over the limit, too many items.</exception>
    public static IReadOnlyList<ScriptItem>? Parse(string text, bool dialogue, ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        var tags = (dialogue ? DialogueTag() : PauseTag()).Matches(text);
        if (tags.Count == 0)
        {
            return null;
        }

        var items = new List<ScriptItem>();
        string? voice = null;
        var position = 0;
        foreach (Match tag in tags)
        {
            AddSpeech(items, text[position..tag.Index], voice);
            position = tag.Index + tag.Length;
            if (tag.Groups["voice"].Success)
            {
                voice = tag.Groups["voice"].Value.Trim();
                continue;
            }

            var pause = PauseOf(tag, limits);
            if (items.Count > 0 && items[^1] is ScriptPause previous)
            {
                items[^1] = new ScriptPause(previous.Duration + pause); // adjacent pauses are one silence
            }
            else
            {
                items.Add(new ScriptPause(pause));
            }

            Limit(items, limits, tag);
        }

        AddSpeech(items, text[position..], voice);
        Limit(items, limits, null);
        if (!items.Any(i => i is ScriptSpeech))
        {
            throw TtsException.NoSpeakableText("The text holds only pauses or voice tags: there is nothing to speak.");
        }

        return items;
    }

    private static void AddSpeech(List<ScriptItem> items, string piece, string? voice)
    {
        if (!string.IsNullOrWhiteSpace(piece))
        {
            items.Add(new ScriptSpeech(piece.Trim(), voice));
        }
    }

    private static void Limit(List<ScriptItem> items, ScriptLimits limits, Match? tag)
    {
        if (items.Count > limits.MaxItems)
        {
            throw TtsException.InvalidInput(
                $"The text has more than {limits.MaxItems} speech segments and pauses (F5Tts:Script:MaxItems)"
                + (tag is null ? "." : $"; the limit is passed at '{tag.Value}' (character {tag.Index})."), "text");
        }
    }

    private static TimeSpan PauseOf(Match tag, ScriptLimits limits)
    {
        var strict = StrictPause().Match(tag.Value);
        if (!strict.Success)
        {
            throw TtsException.InvalidInput(
                $"Malformed pause '{Excerpt(tag.Value)}' at character {tag.Index}: write [pause 500ms], [pause 1.5s] or <break time=\"500ms\"/>.", "text");
        }

        var amount = double.Parse(strict.Groups["n"].Value, CultureInfo.InvariantCulture);
        var seconds = strict.Groups["u"].Value.Equals("ms", StringComparison.OrdinalIgnoreCase) ? amount / 1000 : amount;
        if (seconds > limits.MaxPauseSeconds)
        {
            throw TtsException.InvalidInput(
                $"The pause '{tag.Value}' at character {tag.Index} is longer than {limits.MaxPauseSeconds:0.###} s (F5Tts:Script:MaxPauseSeconds).", "text");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static string Excerpt(string value) => value.Length > 60 ? value[..60] + "…" : value;

    // Any [pause …] or <break …> is a pause tag, so that a malformed one is refused rather than spoken.
    private const string Pause = @"\[pause\b[^\]]*\]|<break\b[^>]*>";

    [GeneratedRegex(@"^(?:\[pause\s+(?<n>\d{1,6}(?:\.\d{1,3})?)\s*(?<u>ms|s)\s*\]|<break\s+time\s*=\s*(?<q>[""'])(?<n>\d{1,6}(?:\.\d{1,3})?)(?<u>ms|s)\k<q>\s*/?>)$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex StrictPause();

    [GeneratedRegex(Pause, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PauseTag();

    [GeneratedRegex(Pause + @"|\[(?<voice>[^\[\]\r\n]{1,64})\]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DialogueTag();
}
