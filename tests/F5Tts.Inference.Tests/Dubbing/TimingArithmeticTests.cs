using F5Tts.Inference.Dubbing;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Inference.Tests.Dubbing;

public sealed class TimingArithmeticTests
{
    private static readonly RateBounds Bounds = new(0.5, 2.0);

    [Theory]
    [InlineData(24_000, 94)] // 93.75 frames → 94
    [InlineData(256, 1)]
    [InlineData(100, 1)] // never zero frames
    [InlineData(2_432, 10)] // 9.5 → 10 (away from zero)
    public void A_length_becomes_the_nearest_whole_frame(long samples, int frames)
    {
        Assert.Equal(frames, ExactDuration.FramesFor(samples));
        Assert.True(Math.Abs(frames * 256 - samples) <= 256, "within one frame");
    }

    [Fact]
    public void Total_frames_are_reference_plus_generated_plus_the_frame_the_decoder_drops()
    {
        // 48 000 samples: 48000 / 256 + 1 = 188 reference mel frames (center-padded STFT).
        Assert.Equal(188 + 94 + 1, ExactDuration.TotalFrames(48_000, 94));
    }

    [Theory]
    [InlineData(100, 100, 100, 1.0, RateFit.None)]
    [InlineData(150, 100, 100, 1.5, RateFit.None)]
    [InlineData(300, 100, 150, 2.0, RateFit.Fastest)] // too much text: held at 2×, longer than asked
    [InlineData(301, 100, 151, 301 / 151.0, RateFit.Fastest)] // rounded up so the rate stays within the bound
    [InlineData(40, 100, 80, 0.5, RateFit.Slowest)] // too little text: held at 0.5×, shorter than asked
    [InlineData(50, 100, 100, 0.5, RateFit.None)]
    public void A_rate_outside_the_bounds_is_held_at_the_bound(int natural, int target, int frames, double rate, RateFit fit)
    {
        var result = ExactDuration.Fit(natural, target, Bounds);

        Assert.Equal((frames, fit), (result.Frames, result.Fit));
        Assert.Equal(rate, result.Rate, 9);
        Assert.InRange(result.Rate, Bounds.Min, Bounds.Max);
    }

    [Fact]
    public void Pieces_land_at_their_start_on_silence_and_overlaps_are_summed()
    {
        var track = TrackMixer.Place([(2, [0.5f, 0.5f]), (3, [0.75f, 0.25f])], 8);

        Assert.Equal([0f, 0f, 0.5f, 1f, 0.25f, 0f, 0f, 0f], track);
        Assert.Equal(5, TrackMixer.Place([(3, [1f, 1f])], 2).Length); // a piece past the end lengthens the track
    }
}
