using F5Tts.Inference.Audio;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;

namespace F5Tts.Inference.Tests.Audio;

/// <summary>Ogg Opus reference uploads: files from ffmpeg (libopus) and opusenc, decoded with Concentus.</summary>
public sealed class OggOpusReaderTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(48_000, 2)]
    [InlineData(16_000, 1)]
    public void Decodes_ffmpeg_ogg_opus_to_the_source_length_and_level(int rate, int channels)
    {
        var path = Path.Combine(_dir, $"a{rate}.opus");
        var tone = "0.125*sin(2*PI*440*t)";
        var expressions = string.Join('|', Enumerable.Repeat(tone, channels));
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"aevalsrc={expressions}:s={rate}:d=1.5",
            "-c:a", "libopus", "-b:a", "96k", path);

        var audio = AudioDecoder.Decode(File.ReadAllBytes(path), 60);

        Assert.Equal("ogg/opus", audio.Format);
        Assert.Equal(48_000, audio.SampleRate);
        Assert.Equal(channels, audio.Channels);
        // Pre-skip removed and the end trimmed to the granule: exactly the 1.5 s of the source, at 48 kHz.
        Assert.Equal(72_000, audio.Frames);
        // ffmpeg's own libopus decode of the same file has the same length; the tone keeps its level (amplitude 1/8 in
        // every channel) within 0.1 dB.
        Assert.Equal(FfmpegDecode(path, 48_000).Length, audio.Frames);
        Assert.InRange(Db(ToneAmplitude(audio.ToMono(), 440, 48_000) / 0.125), -0.1, 0.1);
    }

    [Fact]
    public void Decodes_opusenc_output()
    {
        var wav = Path.Combine(_dir, "in.wav");
        var path = Path.Combine(_dir, "b.opus");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=24000:duration=2", wav);
        RunOk("opusenc", "--quiet", wav, path);

        var audio = AudioDecoder.Decode(File.ReadAllBytes(path), 60);

        Assert.Equal(96_000, audio.Frames); // 2 s
        Assert.InRange(ZeroCrossingFrequency(audio.ToMono(), 48_000), 299, 301);
    }

    [Fact]
    public void Damaged_ogg_opus_decodes_or_is_refused_never_anything_else()
    {
        var path = Path.Combine(_dir, "c.opus");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5", "-c:a", "libopus", path);
        var valid = File.ReadAllBytes(path);
        int refused = FuzzMutations.CountRefused<AudioRequestException>(valid, seed: 777, rounds: 1_000, headerBytes: valid.Length, bytes =>
        {
            var audio = AudioDecoder.Decode(bytes, 60);
            Assert.True(audio.Samples.Length > 0 && audio.Samples.All(float.IsFinite));
        });

        Assert.InRange(refused, 300, 1_000); // page CRCs catch almost every change
    }

    [Fact]
    public void A_long_ogg_opus_stops_decoding_at_the_limit()
    {
        var path = Path.Combine(_dir, "long.opus");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=120", "-c:a", "libopus", path);

        var refused = Assert.Throws<AudioRequestException>(() => AudioDecoder.Decode(File.ReadAllBytes(path), 42));

        Assert.Equal("reference-too-long", refused.Code);
    }

    [Fact]
    public void Ogg_vorbis_is_415_naming_what_is_accepted()
    {
        var path = Path.Combine(_dir, "d.ogg");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5", "-c:a", "vorbis", "-strict", "-2", "-ac", "2", path);

        var refused = Assert.Throws<AudioRequestException>(() => AudioDecoder.Decode(File.ReadAllBytes(path), 60));

        Assert.Equal("unsupported-audio", refused.Code);
        Assert.Contains("Opus (Ogg, WebM)", refused.Message, StringComparison.Ordinal);
    }
}
