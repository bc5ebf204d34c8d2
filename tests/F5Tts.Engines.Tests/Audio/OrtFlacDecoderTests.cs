using F5Tts.Engines.Audio;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Audio;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.Tests.Audio;

/// <summary>
/// FLAC through ONNX Runtime Extensions' AudioDecoder op (the real libortextensions.so from the NuGet package), and
/// the evidence why WAV and MP3 stay with the built-in decoders (docs/audio.md "Reference audio input").
/// </summary>
public sealed class OrtFlacDecoderTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly OrtFlacDecoder _decoder = new(NullLogger<OrtFlacDecoder>.Instance);

    public void Dispose()
    {
        _decoder.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(48_000, 2, "s16")]
    [InlineData(22_050, 1, "s32")] // ffmpeg writes 24-bit FLAC from s32 input
    public void Decodes_flac_exactly_like_ffmpeg(int rate, int channels, string sampleFormat)
    {
        var flac = Make("a.flac", $"sine=frequency=440:sample_rate={rate}:duration=1.5", channels, sampleFormat);

        var audio = _decoder.Decode(File.ReadAllBytes(flac), 60);
        var reference = FfmpegFloats(flac);

        Assert.Equal(rate, audio.SampleRate);
        Assert.Equal(channels, audio.Channels);
        Assert.Equal(reference.Length, audio.Samples.Length);
        // Lossless: the same integers scaled to float by both (tolerance: float rounding, 1e-6 of full scale).
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(Math.Abs(reference[i] - audio.Samples[i]) <= 1e-6, $"sample {i}: {audio.Samples[i]} vs {reference[i]}");
        }
    }

    [Fact]
    public void Damaged_flacs_decode_or_are_refused_never_anything_else()
    {
        var valid = File.ReadAllBytes(Make("a.flac", "sine=frequency=440:sample_rate=24000:duration=0.5", 1, "s16"));
        int refused = FuzzMutations.CountRefused<AudioRequestException>(valid, seed: 4242, rounds: 600, headerBytes: 128, bytes =>
        {
            var audio = _decoder.Decode(bytes, 60);
            Assert.True(audio.Samples.Length > 0 && audio.Samples.All(float.IsFinite));
        });

        Assert.InRange(refused, 60, 600); // the mutations really hit the checks
    }

    [Fact]
    public void A_small_flac_that_expands_beyond_the_limit_is_refused_before_decoding()
    {
        // Ten minutes of silence compress to a few kB: the frame headers, not the file size, reveal the length.
        var flac = File.ReadAllBytes(Make("long.flac", "anullsrc=r=48000:cl=mono:d=600", 1, "s16"));
        Assert.True(flac.Length < 200_000, $"{flac.Length} bytes");

        var refused = Assert.Throws<AudioRequestException>(() => _decoder.Decode(flac, 42));
        Assert.Equal("reference-too-long", refused.Code);
    }

    [Fact]
    public void Empty_and_garbage_flac_are_400()
    {
        byte[] magicOnly = [.. "fLaC"u8];
        byte[] garbage = [.. "fLaC"u8, .. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))];

        Assert.Equal("malformed-audio", Assert.Throws<AudioRequestException>(() => _decoder.Decode(magicOnly, 60)).Code);
        Assert.Equal("malformed-audio", Assert.Throws<AudioRequestException>(() => _decoder.Decode(garbage, 60)).Code);
    }

    [Fact]
    public void The_op_accepts_a_truncated_wav_that_the_built_in_reader_refuses()
    {
        // Why WAV stays with WavReader: the op (dr_wav) decodes what is there of a file whose sizes point past its end.
        var wav = File.ReadAllBytes(Make("a.wav", "sine=frequency=440:sample_rate=24000:duration=1", 1, "s16"));
        var truncated = wav[..(wav.Length / 2)];

        var fromOp = _decoder.RunOp(truncated);
        Assert.InRange(fromOp.Length, 1, (wav.Length - 44) / 2);
        Assert.Equal("malformed-audio", Assert.Throws<AudioRequestException>(() => AudioDecoder.Decode(truncated, 60)).Code);
    }

    [Fact]
    public void The_op_refuses_an_ordinary_mp3_with_an_id3_tag_that_nlayer_decodes()
    {
        // Why MP3 stays with NLayer: the op finds MP3 only by a frame sync in the first two bytes, so the ID3v2 tag
        // that ffmpeg, LAME and most software write first makes it "Cannot detect audio stream format".
        var mp3 = File.ReadAllBytes(Make("a.mp3", "sine=frequency=440:sample_rate=16000:duration=2", 1, "s16", "libmp3lame"));
        Assert.True(mp3.AsSpan().StartsWith("ID3"u8));

        var fromNLayer = AudioDecoder.Decode(mp3, 60);
        Assert.Equal(16_000, fromNLayer.SampleRate);
        Assert.InRange(fromNLayer.DurationSeconds, 2.0, 2.2);
        var refused = Assert.Throws<OnnxRuntimeException>(() => _decoder.RunOp(mp3));
        Assert.Contains("Cannot detect audio stream format", refused.Message, StringComparison.Ordinal);
    }

    private string Make(string name, string source, int channels, string sampleFormat, string? codec = null)
    {
        var path = _dir.File(name);
        var tool = ExternalTool.Require("ffmpeg");
        List<string> args = ["-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", channels.ToString(), "-sample_fmt", sampleFormat];
        if (codec is not null)
        {
            args = ["-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", channels.ToString(), "-c:a", codec];
        }

        var result = ExternalTool.Run(tool, [.. args, path], TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.StdErr);
        return path;
    }

    private float[] FfmpegFloats(string path)
    {
        var raw = _dir.File("reference.f32");
        var result = ExternalTool.Run(ExternalTool.Require("ffmpeg"), ["-v", "error", "-y", "-i", path, "-f", "f32le", raw], TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.StdErr);
        var bytes = File.ReadAllBytes(raw);
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, floats.Length * 4);
        return floats;
    }
}
