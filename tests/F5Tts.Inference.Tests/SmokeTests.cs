namespace F5Tts.Inference.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Sampler_defaults_match_upstream() => Assert.Equal(32, new F5Tts.Inference.Engine.SamplerSettings().NfeSteps);
}
