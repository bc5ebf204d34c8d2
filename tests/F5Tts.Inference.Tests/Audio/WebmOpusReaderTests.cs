using F5Tts.Inference.Audio;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;

namespace F5Tts.Inference.Tests.Audio;

/// <summary>
/// WebM Opus reference uploads made by ffmpeg, as a file (sizes known, cues) and as a live stream (unknown-size
/// Segment and Clusters, the layout of Chromium's MediaRecorder). The page test records one in Chromium itself.
/// </summary>
public sealed class WebmOpusReaderTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("0", 1)]
    [InlineData("1", 2)]
    public void Decodes_webm_opus_to_the_source_length_and_level(string live, int channels)
    {
        var path = Path.Combine(_dir, $"a{live}.webm");
        var expressions = string.Join('|', Enumerable.Repeat("0.125*sin(2*PI*440*t)", channels));
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"aevalsrc={expressions}:s=48000:d=1.5",
            "-c:a", "libopus", "-b:a", "96k", "-live", live, "-f", "webm", path);
        var bytes = File.ReadAllBytes(path);
        if (live == "1")
        {
            // The Segment's size is "unknown" (0x01FFFFFFFFFFFFFF), as MediaRecorder writes it.
            int segment = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x18, 0x53, 0x80, 0x67]);
            Assert.True(bytes.AsSpan(segment + 4, 8).SequenceEqual((ReadOnlySpan<byte>)[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]));
        }

        var audio = AudioDecoder.Decode(bytes, 60);

        Assert.Equal("webm/opus", audio.Format);
        Assert.Equal(48_000, audio.SampleRate);
        Assert.Equal(channels, audio.Channels);
        // WebM names no end (no granule): all that decodes after pre-skip, i.e. the source rounded up to whole 20 ms
        // packets, and never shorter than the source.
        Assert.InRange(audio.Frames, 72_000, 72_000 + 960);
        Assert.InRange(Db(ToneAmplitude(audio.ToMono(), 440, 48_000) / 0.125), -0.1, 0.1);
    }

    [Fact]
    public void Damaged_webm_decodes_or_is_refused_never_anything_else()
    {
        var path = Path.Combine(_dir, "c.webm");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5",
            "-c:a", "libopus", "-live", "1", "-f", "webm", path);
        var valid = File.ReadAllBytes(path);
        int refused = FuzzMutations.CountRefused<AudioRequestException>(valid, seed: 31337, rounds: 1_000, headerBytes: 400, bytes =>
        {
            var audio = AudioDecoder.Decode(bytes, 60);
            Assert.True(audio.Samples.Length > 0 && audio.Samples.All(float.IsFinite));
        });

        Assert.InRange(refused, 100, 1_000);
    }

    [Fact]
    public void A_long_webm_stops_decoding_at_the_limit()
    {
        var path = Path.Combine(_dir, "long.webm");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=120", "-c:a", "libopus", "-f", "webm", path);

        var refused = Assert.Throws<AudioRequestException>(() => AudioDecoder.Decode(File.ReadAllBytes(path), 42));

        Assert.Equal("reference-too-long", refused.Code);
    }

    [Fact]
    public void Webm_without_opus_audio_is_415()
    {
        var path = Path.Combine(_dir, "v.webm");
        RunOk("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5",
            "-c:a", "libvorbis", "-f", "webm", path);

        var refused = Assert.Throws<AudioRequestException>(() => AudioDecoder.Decode(File.ReadAllBytes(path), 60));

        Assert.Equal("unsupported-audio", refused.Code);
    }
}
