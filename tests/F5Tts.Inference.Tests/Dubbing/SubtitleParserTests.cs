using F5Tts.Inference.Dubbing;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Dubbing;

public sealed class SubtitleParserTests
{
    private static readonly DubOptions Limits = new() { MaxCues = 5, MaxCueSeconds = 10, MaxTrackSeconds = 120 };

    [Fact]
    public void Srt_cues_are_read_with_times_ids_and_joined_lines()
    {
        const string srt = "\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there,\r\n{\\an8}general.\r\n\r\n"
            + "2\r\n00:00:03.250 --> 00:00:04,000 X1:10 Y1:20\r\nTom &amp; Jerry\r\n";
        var cues = SubtitleParser.Parse(srt, Limits);

        Assert.Equal(SubtitleFormat.Srt, SubtitleParser.DetectFormat(srt));
        Assert.Equal(2, cues.Count);
        Assert.Equal(new SubtitleCue(1, "1", TimeSpan.FromMilliseconds(1000), TimeSpan.FromMilliseconds(2500), "Hello there, general.", null), cues[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(3250), cues[1].Start);
        Assert.Equal(TimeSpan.FromMilliseconds(750), cues[1].Duration);
        Assert.Equal("Tom & Jerry", cues[1].Text);
    }

    [Fact]
    public void WebVtt_reads_voice_spans_ids_settings_and_skips_notes_and_styles()
    {
        const string vtt = "WEBVTT - a title\nKind: captions\n\nNOTE written by hand\nsecond line\n\nSTYLE\n::cue { color: red }\n\n"
            + "intro\n00:01.000 --> 00:02.000 align:start position:10%\n<v Alice>Hi <b>Bob</b>.</v>\n\n"
            + "00:00:02.000 --> 00:00:03.500\n<v.loud Bob>Hello <00:00:02.500>Alice,\n<c.yellow>行<hang2>吗</c>?\n\n"
            + "00:00:04.000 --> 00:00:05.000\nNobody &lt;here&gt;";
        var cues = SubtitleParser.Parse(vtt, Limits);

        Assert.Equal(SubtitleFormat.WebVtt, SubtitleParser.DetectFormat(vtt));
        Assert.Equal(3, cues.Count);
        Assert.Equal(new SubtitleCue(1, "intro", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), "Hi Bob.", "Alice"), cues[0]);
        Assert.Equal("Bob", cues[1].Speaker);
        // WebVTT tags and timestamps go; the front-end's pronunciation override stays for the front-end.
        Assert.Equal("Hello Alice, 行<hang2>吗?", cues[1].Text);
        Assert.Null(cues[2].Speaker);
        Assert.Equal("Nobody <here>", cues[2].Text);
        Assert.Equal("cue 1 (id 'intro')", cues[0].Label);
        Assert.Equal("cue 2", cues[1].Label);
    }

    [Theory]
    [InlineData("1\n00:00:01,000 -> 00:00:02,000\nHi", 1, "expected a timing line")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\nHi\n\nX\n00:00:03,000 --> 00:00:04,000\nYo", 2, "starts with its number")]
    [InlineData("1\n00:00:01 --> 00:00:02,000\nHi", 1, "malformed start time '00:00:01'")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,00\nHi", 1, "malformed end time")]
    [InlineData("1\n00:00:01,000 --> 00:61:02,000\nHi", 1, "out of range")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 --> 00:00:03,000\nYo", 2, "not after its start")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:01,500 --> 00:00:03,000\nYo", 2, "before cue 1 ends at 00:00:02.000")]
    [InlineData("1\n00:00:01,000 --> 00:00:12,000\nHi", 1, "longer than the 10 s")]
    [InlineData("1\n00:01:59,000 --> 00:02:01,000\nHi", 1, "after the 120 s a track may last")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\n<i></i>", 1, "has no text")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000", 1, "has no text")]
    [InlineData("WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nHi", 1, "expected 00:01:02.500")]
    [InlineData("WEBVTT\n\nid\nHi there", 1, "cue 1 (id 'id'): expected a timing line")]
    [InlineData("WEBVTT\n00:00:01.000 --> 00:00:02.000\nHi", 1, "blank line")]
    [InlineData("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Alice>Hi</v> <v Bob>Yo</v>", 1, "mixes the speakers 'Alice' and 'Bob'")]
    [InlineData("WEBVTT\n\n00:01.000 --> 00:02.000\n<v>Hi", 1, "must name its speaker")]
    public void Every_malformed_cue_is_an_error_naming_it(string text, int cue, string fragment)
    {
        var error = Assert.Throws<SubtitleException>(() => SubtitleParser.Parse(text, Limits));

        Assert.Equal(cue, error.CueNumber);
        Assert.StartsWith($"cue {cue}", error.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.Equal(TtsErrorKind.InvalidInput, error.Kind);
        Assert.Equal("subtitles", error.Parameter);
    }

    [Fact]
    public void Too_many_cues_names_the_first_one_over_the_limit()
    {
        var srt = string.Join("\n\n", Enumerable.Range(1, 6).Select(i => $"{i}\n00:00:{i:00},000 --> 00:00:{i:00},500\nLine {i}"));

        var error = Assert.Throws<SubtitleException>(() => SubtitleParser.Parse(srt, Limits));

        Assert.Equal(6, error.CueNumber);
        Assert.Contains("at most 5 cues", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\n ")]
    [InlineData("WEBVTT\n\nNOTE nothing here")]
    public void A_document_without_cues_is_an_error(string text)
    {
        var error = Assert.Throws<SubtitleException>(() => SubtitleParser.Parse(text, Limits));

        Assert.Equal(0, error.CueNumber);
        Assert.Contains("no cue", error.Message, StringComparison.Ordinal);
    }
}
