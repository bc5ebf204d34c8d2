using F5Tts.Inference.Audio;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;

namespace F5Tts.Inference.Tests.Audio;

public sealed class SincResamplerTests
{
    [Theory]
    [InlineData(24_000, 8_000, 1_000.0)]
    [InlineData(24_000, 16_000, 3_000.0)]
    [InlineData(24_000, 22_050, 5_000.0)]
    [InlineData(24_000, 44_100, 7_000.0)]
    [InlineData(24_000, 48_000, 9_000.0)]
    [InlineData(44_100, 24_000, 440.0)]
    [InlineData(48_000, 24_000, 8_000.0)]
    [InlineData(44_099, 24_000, 1_234.0)] // coprime rates: no small polyphase table exists
    [InlineData(8_000, 24_000, 2_500.0)]
    public void Sine_keeps_frequency_and_level(int inRate, int outRate, double frequency)
    {
        const double amplitude = 0.5;
        var input = Sine(frequency, amplitude, 1.0, inRate);

        var output = SincResampler.Resample(input, inRate, outRate);

        Assert.Equal(SincResampler.OutputLength(input.Length, inRate, outRate), output.Length);
        Assert.Equal((long)Math.Ceiling((double)input.Length * outRate / inRate), output.Length);
        // Measure away from the edges, where the kernel sees the implicit zeros around the clip.
        var middle = output.AsSpan(outRate / 10, outRate * 8 / 10);
        double measured = ZeroCrossingFrequency(middle, outRate);
        Assert.InRange(measured, frequency * 0.9995, frequency * 1.0005);
        double levelDb = Db(Rms(middle) / (amplitude / Math.Sqrt(2)));
        Assert.InRange(levelDb, -0.5, 0.5);
    }

    [Theory]
    [InlineData(24_000, 8_000, 5_000.0)]   // would alias to 3 kHz
    [InlineData(24_000, 16_000, 9_500.0)]  // would alias to 6.5 kHz
    [InlineData(48_000, 24_000, 15_000.0)] // would alias to 9 kHz
    [InlineData(44_100, 24_000, 13_000.0)] // would alias to 11 kHz
    public void Tone_above_new_nyquist_is_attenuated_at_least_60_dB(int inRate, int outRate, double frequency)
    {
        var input = Sine(frequency, 0.9, 1.0, inRate);

        var output = SincResampler.Resample(input, inRate, outRate);

        var middle = output.AsSpan(outRate / 10, outRate * 8 / 10);
        double attenuation = Db(Rms(middle) / Rms(input));
        Assert.True(attenuation < -60, $"alias residue {attenuation:F1} dB (need < -60 dB)");
    }

    [Fact]
    public void Streaming_in_odd_blocks_equals_one_shot()
    {
        var input = Sine(523.25, 0.7, 0.5, 24_000);
        var oneShot = SincResampler.Resample(input, 24_000, 44_100);

        var resampler = new SincResampler(24_000, 44_100);
        var streamed = new List<float>();
        var random = new Random(7);
        for (int pos = 0; pos < input.Length;)
        {
            int n = Math.Min(random.Next(1, 900), input.Length - pos);
            streamed.AddRange(resampler.Process(input.AsSpan(pos, n)));
            pos += n;
        }

        streamed.AddRange(resampler.Flush());
        Assert.Equal(oneShot.Length, streamed.Count);
        for (int i = 0; i < oneShot.Length; i++)
        {
            Assert.True(Math.Abs(oneShot[i] - streamed[i]) < 1e-6, $"sample {i}: {oneShot[i]} vs {streamed[i]}");
        }
    }

    [Fact]
    public void Equal_rates_pass_through_unchanged()
    {
        var input = Sine(100, 0.3, 0.1, 24_000);
        Assert.Equal(input, SincResampler.Resample(input, 24_000, 24_000));
    }
}
