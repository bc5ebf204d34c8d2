using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Dubbing;

/// <summary>
/// Reads SRT and WebVTT documents into cues (docs/dub.md "Subtitles"). Pure and strict: every malformed cue, an end
/// not after its start, a cue that starts before the previous one ends, and a document over the limits of
/// <see cref="DubOptions"/> is a <see cref="SubtitleException"/> naming the cue, so a client learns what to fix rather
/// than getting a track with a cue silently dropped or moved.
/// </summary>
public static partial class SubtitleParser
{
    /// <summary>Parses <paramref name="text"/> (WebVTT when it starts with <c>WEBVTT</c>, SRT otherwise).</summary>
    public static IReadOnlyList<SubtitleCue> Parse(string text, DubOptions limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        var lines = text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        var blocks = Blocks(lines);
        var format = DetectFormat(blocks);
        if (format == SubtitleFormat.WebVtt && blocks[0].Any(l => l.Contains("-->", StringComparison.Ordinal)))
        {
            throw new SubtitleException("cue 1: the WEBVTT header line must be followed by a blank line before the first cue.", 1);
        }

        var cues = new List<SubtitleCue>();
        foreach (var block in format == SubtitleFormat.WebVtt ? blocks.Skip(1) : blocks)
        {
            if (format == SubtitleFormat.WebVtt && IsVttMetadata(block))
            {
                continue;
            }

            var number = cues.Count + 1;
            if (number > limits.MaxCues)
            {
                throw new SubtitleException(
                    $"cue {number}: a request may hold at most {limits.MaxCues} cues (F5Tts:Dub:MaxCues); split the subtitles into several requests.",
                    number);
            }

            var cue = ParseCue(block, number, format);
            Check(cue, cues.Count > 0 ? cues[^1] : null, limits);
            cues.Add(cue);
        }

        if (cues.Count == 0)
        {
            throw new SubtitleException("The subtitles hold no cue: send SRT or WebVTT text with at least one cue.", 0);
        }

        return cues;
    }

    /// <summary>The format <paramref name="text"/> would be parsed as.</summary>
    public static SubtitleFormat DetectFormat(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return IsVttHeader(text.TrimStart('\uFEFF').TrimStart()) ? SubtitleFormat.WebVtt : SubtitleFormat.Srt;
    }

    private static SubtitleFormat DetectFormat(List<string[]> blocks) =>
        blocks.Count > 0 && IsVttHeader(blocks[0][0]) ? SubtitleFormat.WebVtt : SubtitleFormat.Srt;

    private static bool IsVttHeader(string line) =>
        line.StartsWith("WEBVTT", StringComparison.Ordinal) && (line.Length == 6 || line[6] is ' ' or '\t' or '\n' or '\r');

    /// <summary>Groups the lines into blocks separated by blank lines (a cue's text cannot contain an empty line).</summary>
    private static List<string[]> Blocks(string[] lines)
    {
        var blocks = new List<string[]>();
        var current = new List<string>();
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (current.Count > 0)
                {
                    blocks.Add([.. current]);
                    current.Clear();
                }
            }
            else
            {
                current.Add(line.TrimEnd());
            }
        }

        if (current.Count > 0)
        {
            blocks.Add([.. current]);
        }

        return blocks;
    }

    private static bool IsVttMetadata(string[] block)
    {
        var first = block[0];
        if (first.Contains("-->", StringComparison.Ordinal))
        {
            return false;
        }

        return Keyword(first, "NOTE") || Keyword(first, "STYLE") || Keyword(first, "REGION");

        static bool Keyword(string line, string word) =>
            line.StartsWith(word, StringComparison.Ordinal) && (line.Length == word.Length || line[word.Length] is ' ' or '\t');
    }

    private static SubtitleCue ParseCue(string[] block, int number, SubtitleFormat format)
    {
        string? id = null;
        var timingLine = 0;
        if (!block[0].Contains("-->", StringComparison.Ordinal))
        {
            id = block[0].Trim();
            timingLine = 1;
            if (format == SubtitleFormat.Srt && !int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                throw new SubtitleException(
                    $"{SubtitleCue.Describe(number, id)}: an SRT cue starts with its number, then 'start --> end'; found '{Excerpt(block[0])}'.", number);
            }
        }

        var label = SubtitleCue.Describe(number, id);
        if (timingLine >= block.Length || !block[timingLine].Contains("-->", StringComparison.Ordinal))
        {
            throw new SubtitleException($"{label}: expected a timing line 'start --> end' after '{Excerpt(block[0])}'.", number);
        }

        var (start, end) = ParseTiming(block[timingLine], format, label, number);
        var (spoken, speaker) = CueText(block.AsSpan(timingLine + 1), format, label, number);
        return new SubtitleCue(number, id, start, end, spoken, speaker);
    }

    private static (TimeSpan Start, TimeSpan End) ParseTiming(string line, SubtitleFormat format, string label, int number)
    {
        var arrow = line.IndexOf("-->", StringComparison.Ordinal);
        var left = line[..arrow].Trim();
        // WebVTT cue settings (position, align, …) and SRT's X1/Y1 coordinates follow the end time.
        var right = line[(arrow + 3)..].Trim().Split([' ', '\t'], 2)[0];
        return (Timestamp(left, format, label, number, "start"), Timestamp(right, format, label, number, "end"));
    }

    private static TimeSpan Timestamp(string value, SubtitleFormat format, string label, int number, string which)
    {
        var match = format == SubtitleFormat.WebVtt ? VttTime().Match(value) : SrtTime().Match(value);
        var example = format == SubtitleFormat.WebVtt ? "00:01:02.500 or 01:02.500" : "00:01:02,500";
        if (!match.Success)
        {
            throw new SubtitleException($"{label}: malformed {which} time '{Excerpt(value)}'; expected {example}.", number);
        }

        var hours = match.Groups["h"].Success ? long.Parse(match.Groups["h"].Value, CultureInfo.InvariantCulture) : 0;
        var minutes = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
        var seconds = int.Parse(match.Groups["s"].Value, CultureInfo.InvariantCulture);
        var millis = int.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
        if (minutes > 59 || seconds > 59 || hours > 99_999)
        {
            throw new SubtitleException($"{label}: {which} time '{value}' is out of range (minutes and seconds run 00–59).", number);
        }

        return TimeSpan.FromMilliseconds((((hours * 60) + minutes) * 60 + seconds) * 1000L + millis);
    }

    private static (string Text, string? Speaker) CueText(ReadOnlySpan<string> lines, SubtitleFormat format, string label, int number)
    {
        var joined = string.Join(' ', lines.ToArray().Select(l => l.Trim()));
        string? speaker = null;
        if (format == SubtitleFormat.WebVtt)
        {
            foreach (Match voice in VttVoice().Matches(joined))
            {
                var name = voice.Groups["name"].Value.Trim();
                if (name.Length == 0)
                {
                    throw new SubtitleException($"{label}: a <v> span must name its speaker, e.g. <v Alice>.", number);
                }

                if (speaker is not null && !string.Equals(speaker, name, StringComparison.Ordinal))
                {
                    throw new SubtitleException(
                        $"{label}: mixes the speakers '{speaker}' and '{name}'; give each speaker a cue of its own.", number);
                }

                speaker = name;
            }

            joined = VttTag().Replace(joined, string.Empty);
        }
        else
        {
            joined = SrtTag().Replace(joined, string.Empty);
        }

        var text = Whitespace().Replace(Entities(joined), " ").Trim();
        if (text.Length == 0)
        {
            throw new SubtitleException($"{label}: has no text to speak.", number);
        }

        return (text, speaker);
    }

    private static string Entities(string text)
    {
        if (!text.Contains('&', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text)
            .Replace("&lt;", "<").Replace("&gt;", ">").Replace("&nbsp;", " ").Replace("&lrm;", string.Empty)
            .Replace("&rlm;", string.Empty).Replace("&quot;", "\"").Replace("&apos;", "'");
        return result.Replace("&amp;", "&").ToString();
    }

    private static void Check(SubtitleCue cue, SubtitleCue? previous, DubOptions limits)
    {
        if (cue.End <= cue.Start)
        {
            throw new SubtitleException($"{cue.Label}: ends at {Format(cue.End)}, not after its start {Format(cue.Start)}.", cue.Number);
        }

        if (previous is not null && cue.Start < previous.End)
        {
            throw new SubtitleException(
                $"{cue.Label}: starts at {Format(cue.Start)}, before {previous.Label} ends at {Format(previous.End)}; cues of one track must not overlap.",
                cue.Number);
        }

        if (cue.Duration.TotalSeconds > limits.MaxCueSeconds)
        {
            throw new SubtitleException(
                $"{cue.Label}: lasts {cue.Duration.TotalSeconds:0.###} s, longer than the {limits.MaxCueSeconds:0.###} s a cue may last (F5Tts:Dub:MaxCueSeconds); split it.",
                cue.Number);
        }

        if (cue.End.TotalSeconds > limits.MaxTrackSeconds)
        {
            throw new SubtitleException(
                $"{cue.Label}: ends at {Format(cue.End)}, after the {limits.MaxTrackSeconds:0.###} s a track may last (F5Tts:Dub:MaxTrackSeconds).",
                cue.Number);
        }
    }

    /// <summary>A time as subtitles write it (WebVTT style).</summary>
    public static string Format(TimeSpan time) =>
        string.Create(CultureInfo.InvariantCulture, $"{(long)time.TotalHours:00}:{time.Minutes:00}:{time.Seconds:00}.{time.Milliseconds:000}");

    private static string Excerpt(string value) => value.Length > 60 ? value[..60] + "…" : value;

    [GeneratedRegex(@"^(?:(?<h>\d{2,}):)?(?<m>\d{2}):(?<s>\d{2})\.(?<ms>\d{3})$", RegexOptions.CultureInvariant)]
    private static partial Regex VttTime();

    // SRT writes a comma before the milliseconds; many tools write a dot, which is read the same.
    [GeneratedRegex(@"^(?<h>\d{1,}):(?<m>\d{2}):(?<s>\d{2})[,.](?<ms>\d{3})$", RegexOptions.CultureInvariant)]
    private static partial Regex SrtTime();

    [GeneratedRegex(@"<v(?:\.[^\s>]*)?(?:[ \t](?<name>[^>]*))?>", RegexOptions.CultureInvariant)]
    private static partial Regex VttVoice();

    // Only WebVTT's own tags and inline timestamps go: anything else in angle brackets (the front-end's pronunciation
    // overrides such as 行<hang2>) is left for the text front-end.
    [GeneratedRegex(@"</?(?:v|c|i|b|u|ruby|rt|lang)(?:[.\s][^>]*)?>|<\d{2,}:\d{2}(?::\d{2})?\.\d{3}>", RegexOptions.CultureInvariant)]
    private static partial Regex VttTag();

    [GeneratedRegex(@"</?(?:i|b|u|font)(?:\s[^>]*)?>|\{\\[^}]*\}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SrtTag();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
