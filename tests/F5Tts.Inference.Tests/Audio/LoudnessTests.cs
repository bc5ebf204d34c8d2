using F5Tts.Inference.Audio;

namespace F5Tts.Inference.Tests.Audio;

public sealed class LoudnessTests
{
    private const int Rate = 24_000;

    [Theory]
    [InlineData(1.0, -3.01)] // BS.1770-4: a full-scale 997 Hz sine reads −3.01 LUFS
    [InlineData(0.1, -23.01)]
    public void A_997_Hz_sine_reads_as_the_standard_says(double amplitude, double lufs)
    {
        var sine = Sine(5, 997, amplitude);

        Assert.Equal(lufs, Loudness.Integrated(sine, Rate), 0.15); // the K-filter designed for 24 kHz, not the 48 kHz table
        Assert.Equal(20 * Math.Log10(amplitude), Loudness.TruePeak(sine, Rate), 0.05);
    }

    [Fact]
    public void Silence_and_gated_pauses_do_not_count()
    {
        var tone = Sine(3, 997, 0.1);
        var withPause = new float[tone.Length * 2];
        tone.CopyTo(withPause, 0); // 3 s tone then 3 s silence: the silent blocks fall under the absolute gate

        // Ungated, the silence would halve the power (−3 LU); only the blocks straddling the edge pull it down a little.
        var alone = Loudness.Integrated(tone, Rate);
        Assert.InRange(Loudness.Integrated(withPause, Rate), alone - 0.3, alone + 0.01);
        Assert.Equal(Loudness.Silent, Loudness.Integrated(new float[Rate * 2], Rate));
        Assert.Equal(Loudness.Silent, Loudness.Integrated(Sine(0.3, 997, 0.5), Rate)); // shorter than one 400 ms block
    }

    [Theory]
    [InlineData(-16.0)]
    [InlineData(-23.0)]
    [InlineData(-9.0)] // loud enough that the noise's peaks must be limited
    public void Noise_is_normalised_to_the_target_under_the_true_peak_ceiling(double target)
    {
        var random = new Random(7);
        var noise = Enumerable.Range(0, Rate * 4).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.05f).ToArray();

        var reached = Loudness.Normalize(noise, Rate, target, -1);

        Assert.Equal(target, reached, 0.1);
        Assert.Equal(target, Loudness.Integrated(noise, Rate), 0.1);
        Assert.True(Loudness.TruePeak(noise, Rate) <= -1, $"{Loudness.TruePeak(noise, Rate)} dBTP");
    }

    private static float[] Sine(double seconds, double frequency, double amplitude) =>
        Enumerable.Range(0, (int)(seconds * Rate)).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * frequency * i / Rate))).ToArray();
}
