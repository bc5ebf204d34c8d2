using F5Tts.Inference.Errors;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

public sealed class SpeechScriptTests
{
    private static readonly ScriptLimits Limits = new(MaxPauseSeconds: 5, MaxItems: 6);

    [Theory]
    [InlineData("Plain text, 行<hang2>长 and [laughs] stay as they are.", false)]
    [InlineData("Plain text with 行<hang2>长.", true)]
    public void Text_without_markup_takes_the_plain_path(string text, bool dialogue) =>
        Assert.Null(SpeechScript.Parse(text, dialogue, Limits));

    [Fact]
    public void Pauses_become_exact_silence_and_adjacent_ones_add_up()
    {
        var script = SpeechScript.Parse("你好。[pause 500ms]<break time=\"1.5s\"/> Hi [PAUSE 0.25s] there.<break time='20ms'>", false, Limits);

        Assert.Equal(
        [
            new ScriptSpeech("你好。", null),
            new ScriptPause(TimeSpan.FromSeconds(2)),
            new ScriptSpeech("Hi", null),
            new ScriptPause(TimeSpan.FromMilliseconds(250)),
            new ScriptSpeech("there.", null),
            new ScriptPause(TimeSpan.FromMilliseconds(20)),
        ], script);
    }

    [Fact]
    public void Voice_tags_switch_the_voice_in_dialogue_mode_and_leave_overrides_in_the_text()
    {
        var script = SpeechScript.Parse("Intro. [alice] 行<hang2>。[pause 100ms][Bob Smith] Hi there.", true, Limits);

        Assert.Equal(
        [
            new ScriptSpeech("Intro.", null),
            new ScriptSpeech("行<hang2>。", "alice"),
            new ScriptPause(TimeSpan.FromMilliseconds(100)),
            new ScriptSpeech("Hi there.", "Bob Smith"),
        ], script);
    }

    [Theory]
    [InlineData("a [pause soon] b", "Malformed pause '[pause soon]' at character 2")]
    [InlineData("a [pause 500ms extra] b", "Malformed pause")]
    [InlineData("a <break strength=\"weak\"/> b", "Malformed pause '<break strength=\"weak\"/>'")]
    [InlineData("a <break time=\"500ms'/> b", "Malformed pause")]
    [InlineData("a [pause 6s] b", "longer than 5 s")]
    [InlineData("a[pause 1ms]b[pause 1ms]c[pause 1ms]d", "more than 6 speech segments and pauses")]
    public void Bad_pauses_and_too_many_items_are_refused_naming_the_tag(string text, string fragment)
    {
        var error = Assert.Throws<TtsException>(() => SpeechScript.Parse(text, false, Limits));

        Assert.Equal(TtsErrorKind.InvalidInput, error.Kind);
        Assert.Equal("text", error.Parameter);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_of_only_pauses_and_tags_has_nothing_to_speak()
    {
        var error = Assert.Throws<TtsException>(() => SpeechScript.Parse(" [alice] [pause 1s] ", true, Limits));

        Assert.Equal(TtsErrorKind.NoSpeakableText, error.Kind);
    }
}
