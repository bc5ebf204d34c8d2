using System.Buffers.Binary;
using F5Tts.Inference.Audio;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Tests.Audio;

/// <summary>Reference-audio parsing: files made by sox/ffmpeg in every supported layout, and broken files.</summary>
public sealed class DecoderTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("-b", "8", "-e", "unsigned-integer", "wav/pcm8", 1, 16_000)]
    [InlineData("-b", "16", "-e", "signed-integer", "wav/pcm16", 2, 44_100)]
    [InlineData("-b", "24", "-e", "signed-integer", "wav/pcm24", 1, 48_000)]
    [InlineData("-b", "32", "-e", "signed-integer", "wav/pcm32", 2, 22_050)]
    [InlineData("-b", "32", "-e", "floating-point", "wav/float32", 1, 11_025)]
    [InlineData("-b", "64", "-e", "floating-point", "wav/float64", 2, 32_000)]
    [InlineData("-b", "16", "-e", "signed-integer", "wav/pcm16", 6, 24_000)] // sox writes WAVE_FORMAT_EXTENSIBLE for > 2 channels
    public void Sox_wavs_decode_in_every_layout(string bitsFlag, string bits, string encFlag, string encoding, string format, int channels, int rate)
    {
        string path = Path.Combine(_dir, $"{format.Replace('/', '_')}_{channels}_{rate}.wav");
        RunOk("sox", "-n", "-r", rate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", channels.ToString(System.Globalization.CultureInfo.InvariantCulture),
            bitsFlag, bits, encFlag, encoding, path, "synth", "1.5", "sine", "440", "vol", "0.5");
        byte[] bytes = File.ReadAllBytes(path);
        if (channels > 2)
        {
            Assert.Equal(0xFFFE, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20))); // really the extensible layout
        }

        var audio = AudioDecoder.Decode(bytes, 60);

        Assert.Equal(format, audio.Format);
        Assert.Equal(rate, audio.SampleRate);
        Assert.Equal(channels, audio.Channels);
        Assert.Equal(1.5, audio.DurationSeconds, 3);
        var mono = audio.ToMono();
        Assert.InRange(ZeroCrossingFrequency(mono.AsSpan(rate / 10, rate), rate), 439.5, 440.5);
        double tolerance = bits == "8" ? 0.3 : 0.05; // 8-bit quantisation noise
        Assert.InRange(Db(Rms(mono) / (0.5 / Math.Sqrt(2))), -tolerance, tolerance);
    }

    [Fact]
    public void Ffmpeg_extensible_float_wav_decodes()
    {
        string path = Path.Combine(_dir, "ext.wav");
        RunOk("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-af", "volume=0.5,pan=3c|c0=c0|c1=c0|c2=c0",
            "-c:a", "pcm_f32le", path);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0xFFFE, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20)));

        var audio = AudioDecoder.Decode(bytes, 60);

        Assert.Equal("wav/float32", audio.Format);
        Assert.Equal(3, audio.Channels);
        Assert.Equal(48_000, audio.SampleRate);
        Assert.Equal(1.0, audio.DurationSeconds, 3);
    }

    [Fact]
    public void Streaming_wav_from_an_ffmpeg_pipe_decodes()
    {
        // ffmpeg writing to a pipe cannot seek back, so it leaves the RIFF/data sizes at their "unknown" values.
        string path = Path.Combine(_dir, "pipe.wav");
        var (code, _, err) = Run("sh", "-c", $"ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=24000:duration=1 -f wav - | cat > '{path}'");
        Assert.True(code == 0, err);

        var audio = AudioDecoder.Decode(File.ReadAllBytes(path), 60);

        Assert.Equal(24_000, audio.SampleRate);
        Assert.Equal(1.0, audio.DurationSeconds, 2);
    }

    [Fact]
    public void Mp3_decodes_with_nlayer()
    {
        var (code, encoders, _) = Run("ffmpeg", "-hide_banner", "-encoders");
        Assert.SkipUnless(code == 0 && encoders.Contains("libmp3lame", StringComparison.Ordinal), "ffmpeg has no libmp3lame encoder, so no MP3 can be produced here");
        string path = Path.Combine(_dir, "a.mp3");
        RunOk("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", path);

        var audio = AudioDecoder.Decode(File.ReadAllBytes(path), 60);

        Assert.Equal("mp3", audio.Format);
        Assert.Equal(44_100, audio.SampleRate);
        Assert.Equal(2, audio.Channels);
        // NLayer does not strip the LAME encoder delay/padding (about 50 ms in total).
        Assert.InRange(audio.DurationSeconds, 2.0, 2.1);
        var mono = audio.ToMono();
        Assert.InRange(ZeroCrossingFrequency(mono.AsSpan(4_410, 44_100), 44_100), 439.5, 440.5);
    }

    public static TheoryData<string, TtsErrorKind> BrokenFiles() => new()
    {
        { "truncated", TtsErrorKind.InvalidInput },
        { "riff-size-too-big", TtsErrorKind.InvalidInput },
        { "data-size-too-big", TtsErrorKind.InvalidInput },
        { "zero-channels", TtsErrorKind.InvalidInput },
        { "huge-fmt", TtsErrorKind.InvalidInput },
        { "header-only", TtsErrorKind.InvalidInput },
        { "bad-block-align", TtsErrorKind.InvalidInput },
        { "bad-rate", TtsErrorKind.InvalidInput },
        { "no-fmt", TtsErrorKind.InvalidInput },
        { "nan-float", TtsErrorKind.InvalidInput },
        { "adpcm", TtsErrorKind.UnsupportedMedia },
        { "text", TtsErrorKind.UnsupportedMedia },
        { "ogg", TtsErrorKind.UnsupportedMedia },
        { "empty", TtsErrorKind.InvalidInput },
        { "garbage-mp3", TtsErrorKind.InvalidInput },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Broken_files_are_refused_with_the_right_kind(string name, TtsErrorKind kind)
    {
        var ex = Assert.Throws<AudioRequestException>(() => AudioDecoder.Decode(BrokenWav.Make(name), 60));
        Assert.Equal(kind, ex.Kind);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }
}

/// <summary>Hand-made broken uploads (shared with the API tests through a copy of the same recipes).</summary>
internal static class BrokenWav
{
    public static byte[] Valid(float[] samples, int rate = 24_000, int channels = 1)
    {
        var bytes = new byte[44 + (samples.Length * 2)];
        "RIFF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        "WAVEfmt "u8.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(22), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), (uint)(rate * 2 * channels));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(32), (ushort)(2 * channels));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(34), 16);
        "data"u8.CopyTo(bytes.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), (uint)(samples.Length * 2));
        for (int i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(44 + (2 * i)), (short)(samples[i] * 32767));
        }

        return bytes;
    }

    public static byte[] Make(string name)
    {
        var ok = Valid(Sine(440, 0.5, 1.0, 24_000));
        switch (name)
        {
            case "truncated":
                return ok[..(ok.Length / 2)];
            case "riff-size-too-big":
                BinaryPrimitives.WriteUInt32LittleEndian(ok.AsSpan(4), (uint)ok.Length + 1000);
                return ok;
            case "data-size-too-big":
                BinaryPrimitives.WriteUInt32LittleEndian(ok.AsSpan(40), (uint)ok.Length * 4);
                return ok;
            case "zero-channels":
                BinaryPrimitives.WriteUInt16LittleEndian(ok.AsSpan(22), 0);
                return ok;
            case "huge-fmt":
                BinaryPrimitives.WriteUInt32LittleEndian(ok.AsSpan(16), 0x7FFF_FFF0);
                return ok;
            case "header-only":
                return ok[..44];
            case "bad-block-align":
                BinaryPrimitives.WriteUInt16LittleEndian(ok.AsSpan(32), 3);
                return ok;
            case "bad-rate":
                BinaryPrimitives.WriteUInt32LittleEndian(ok.AsSpan(24), 0);
                return ok;
            case "no-fmt":
                "junk"u8.CopyTo(ok.AsSpan(12));
                return ok;
            case "nan-float":
                BinaryPrimitives.WriteUInt16LittleEndian(ok.AsSpan(20), 3);
                BinaryPrimitives.WriteUInt16LittleEndian(ok.AsSpan(32), 4);
                BinaryPrimitives.WriteUInt16LittleEndian(ok.AsSpan(34), 32);
                BinaryPrimitives.WriteSingleLittleEndian(ok.AsSpan(48), float.NaN);
                return ok;
            case "adpcm":
                BinaryPrimitives.WriteUInt16LittleEndian(ok.AsSpan(20), 2);
                return ok;
            case "text":
                return "this is definitely not audio, just some text bytes"u8.ToArray();
            case "ogg":
                return [.. "OggS"u8, .. new byte[100]];
            case "empty":
                return [];
            case "garbage-mp3":
                var g = new byte[4096];
                new Random(3).NextBytes(g);
                "ID3"u8.CopyTo(g);
                return g;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
    }
}
