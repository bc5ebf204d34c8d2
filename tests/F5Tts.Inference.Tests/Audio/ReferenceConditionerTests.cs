using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Tests.Audio;

public sealed class ReferenceConditionerTests
{
    private static ReferenceConditioner Conditioner(AudioOptions? options = null) =>
        new(new FixedOptionsMonitor<AudioOptions>(options ?? new AudioOptions()));

    private static float[] Silence(double seconds, int rate) => new float[(int)(seconds * rate)];

    [Fact]
    public void Stereo_44k_clip_is_trimmed_mixed_resampled_and_padded()
    {
        const int rate = 44_100;
        var left = Concat(Silence(0.5, rate), Sine(300, 0.4, 2.0, rate), Silence(0.7, rate));
        var right = Concat(Silence(0.5, rate), Sine(300, 0.2, 2.0, rate), Silence(0.7, rate));
        var interleaved = new float[left.Length * 2];
        for (int i = 0; i < left.Length; i++)
        {
            interleaved[2 * i] = left[i];
            interleaved[(2 * i) + 1] = right[i];
        }

        var reference = Conditioner().Condition(new DecodedAudio(interleaved, rate, 2, "test"));

        Assert.Equal(3.2, reference.SourceSeconds, 3);
        Assert.InRange(reference.SpeechSeconds, 2.0 - 0.011, 2.0 + 0.011); // whole 10 ms chunks, as pydub
        Assert.Equal(ConditionedReference.SampleRate, 24_000);
        int pad = 1_200;
        Assert.InRange(reference.Samples.Length, (int)(2.0 * 24_000) + pad - 300, (int)(2.0 * 24_000) + pad + 300);
        Assert.All(reference.Samples[^pad..], s => Assert.True(Math.Abs(s) < 1e-3f, "the last 50 ms must be silence"));
        var body = reference.Samples.AsSpan(2_400, 24_000);
        Assert.InRange(ZeroCrossingFrequency(body, 24_000), 299.8, 300.2);
        // Mean of the channels: amplitude 0.3, RMS 0.212 > 0.1, so no boost.
        Assert.Equal(1f, reference.OutputGain);
        Assert.InRange(Db(Rms(body) / (0.3 / Math.Sqrt(2))), -0.1, 0.1);
    }

    [Fact]
    public void Quiet_clip_is_boosted_to_rms_0_1_and_the_output_gain_undoes_it()
    {
        var quiet = Sine(200, 0.02, 3.0, 16_000); // RMS 0.01414, above the -42 dBFS silence threshold

        var reference = Conditioner().Condition(new DecodedAudio(quiet, 16_000, 1, "test"));

        double sourceRms = 0.02 / Math.Sqrt(2) * Math.Sqrt(3.0 / 3.05); // upstream measures with the 50 ms pad
        Assert.InRange(reference.OutputGain, sourceRms / 0.1 * 0.995, sourceRms / 0.1 * 1.005);
        var speech = reference.Samples.AsSpan(2_400, 24_000 * 2);
        double boostedRms = Rms(speech);
        Assert.InRange(boostedRms * reference.OutputGain, 0.02 / Math.Sqrt(2) * 0.99, 0.02 / Math.Sqrt(2) * 1.01);
        Assert.InRange(boostedRms, 0.1, 0.1025);
    }

    [Fact]
    public void Clip_longer_than_the_limit_is_refused_not_cut()
    {
        var ex = Assert.Throws<AudioRequestException>(() =>
            Conditioner().Condition(new DecodedAudio(Sine(220, 0.3, 12.5, 24_000), 24_000, 1, "test")));
        Assert.Equal("reference-too-long", ex.Code);
        Assert.Contains("12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Silence_around_a_clip_does_not_count_towards_the_limit()
    {
        var audio = Concat(Silence(1.5, 24_000), Sine(220, 0.3, 11.0, 24_000), Silence(1.5, 24_000));

        var reference = Conditioner().Condition(new DecodedAudio(audio, 24_000, 1, "test"));

        Assert.Equal(14.0, reference.SourceSeconds, 3);
        Assert.InRange(reference.SpeechSeconds, 10.99, 11.01);
    }

    [Fact]
    public void Too_short_and_silent_clips_are_refused()
    {
        var c = Conditioner();
        Assert.Equal("reference-too-short", Assert.Throws<AudioRequestException>(() =>
            c.Condition(new DecodedAudio(Sine(220, 0.3, 0.3, 24_000), 24_000, 1, "test"))).Code);
        Assert.Equal("reference-silent", Assert.Throws<AudioRequestException>(() =>
            c.Condition(new DecodedAudio(Sine(220, 0.005, 2, 24_000), 24_000, 1, "test"))).Code); // -49 dBFS
    }

    [Fact]
    public void Upload_over_the_byte_limit_is_too_large()
    {
        var wav = BrokenWav.Valid(Sine(220, 0.3, 1.0, 24_000));
        var ex = Assert.Throws<AudioRequestException>(() =>
            Conditioner(new AudioOptions { MaxReferenceBytes = wav.Length - 1 }).Condition(wav));
        Assert.Equal(TtsErrorKind.PayloadTooLarge, ex.Kind);
    }

    [Fact]
    public void Leading_silence_detection_matches_pydub_chunking()
    {
        // 105 ms of silence, then sound: pydub skips 10 whole chunks (100 ms) and keeps the chunk that contains
        // the onset.
        var x = Concat(Silence(0.105, 24_000), Sine(440, 0.5, 1.0, 24_000));
        var (start, end) = ReferenceConditioner.FindSpeech(x, 24_000, -42);
        Assert.Equal(2_400, start);
        Assert.Equal(x.Length, end);
    }
}
