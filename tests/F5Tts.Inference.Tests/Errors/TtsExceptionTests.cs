using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Tests.Errors;

public sealed class TtsExceptionTests
{
    [Fact]
    public void Every_kind_has_a_distinct_slug()
    {
        var slugs = Enum.GetValues<TtsErrorKind>().Select(k => k.ToSlug()).ToList();
        Assert.Equal(slugs.Count, slugs.Distinct().Count());
        Assert.All(slugs, s => Assert.Matches("^[a-z]+(-[a-z]+)*$", s));
    }

    [Fact]
    public void Factories_set_kind_parameter_and_retry_hint()
    {
        Assert.Equal(TtsErrorKind.InvalidInput, TtsException.InvalidInput("bad", "speed").Kind);
        Assert.Equal("speed", TtsException.InvalidInput("bad", "speed").Parameter);
        var full = TtsException.QueueFull(TimeSpan.FromSeconds(2));
        Assert.Equal(TtsErrorKind.QueueFull, full.Kind);
        Assert.Equal(TimeSpan.FromSeconds(2), full.RetryAfter);
        Assert.Equal("voice", TtsException.VoiceNotFound("anna").Parameter);
        Assert.Equal("text", TtsException.NoSpeakableText("nothing to say").Parameter);
        Assert.Equal("The request did not complete within its deadline of 1.5 s.", TtsException.DeadlineExceeded(TimeSpan.FromSeconds(1.5)).Message);
    }
}
