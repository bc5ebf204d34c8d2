using F5Tts.Api.Errors;

namespace F5Tts.Api.Tests;

/// <summary>The log sampler of refusals: one line per cause and second, carrying the count held back.</summary>
public sealed class RejectionLogSamplerTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void A_flood_of_one_cause_logs_once_a_second_with_the_count()
    {
        var time = new ManualTime();
        var sampler = new RejectionLogSampler(time);

        Assert.True(sampler.ShouldLog("queue-full", out var first));
        Assert.Equal(0, first);
        for (int i = 0; i < 999; i++)
        {
            time.Ticks += TimeSpan.TicksPerMillisecond / 2; // 1000 refusals in half a second
            Assert.False(sampler.ShouldLog("queue-full", out _));
        }

        // Another cause is not held back by the first.
        Assert.True(sampler.ShouldLog("not-ready", out var other));
        Assert.Equal(0, other);

        time.Ticks += TimeSpan.TicksPerSecond;
        Assert.True(sampler.ShouldLog("queue-full", out var suppressed));
        Assert.Equal(999, suppressed);
        Assert.False(sampler.ShouldLog("queue-full", out _));
    }
}
