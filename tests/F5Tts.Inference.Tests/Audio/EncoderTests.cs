using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using F5Tts.Inference.Audio;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Tests.Audio;

/// <summary>Every encoder's output is decoded by real tools (ffprobe/ffmpeg, opusinfo/opusdec).</summary>
public sealed class EncoderTests : IDisposable
{
    private const double DurationTolerance = 0.020; // seconds
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] TestSignal(double seconds) => Sine(440, 0.4, seconds, 24_000);

    private async Task<string> EncodeToFileAsync(AudioFormat format, float[] pcm, AudioEncoderSettings settings, string name, int blockSize = 0)
    {
        string path = Path.Combine(_dir, name);
        await using var file = File.Create(path);
        if (blockSize <= 0)
        {
            await AudioEncoders.EncodeAsync(format, pcm, file, settings, TestContext.Current.CancellationToken);
        }
        else
        {
            var encoder = AudioEncoders.Create(format, file, settings);
            for (int i = 0; i < pcm.Length; i += blockSize)
            {
                await encoder.WriteAsync(pcm.AsMemory(i, Math.Min(blockSize, pcm.Length - i)), TestContext.Current.CancellationToken);
            }

            await encoder.CompleteAsync(TestContext.Current.CancellationToken);
        }

        return path;
    }

    [Theory]
    [InlineData(24_000)]
    [InlineData(8_000)]
    [InlineData(16_000)]
    [InlineData(22_050)]
    [InlineData(44_100)]
    [InlineData(48_000)]
    public async Task Wav_is_pcm16_mono_at_the_requested_rate_with_exact_duration(int rate)
    {
        var pcm = TestSignal(1.234);
        string path = await EncodeToFileAsync(AudioFormat.Wav, pcm, new AudioEncoderSettings(OutputSampleRate: rate), $"w{rate}.wav");

        var (codec, probedRate, channels, duration) = Probe(path);
        Assert.Equal("pcm_s16le", codec);
        Assert.Equal(rate, probedRate);
        Assert.Equal(1, channels);
        Assert.InRange(duration, 1.234 - DurationTolerance, 1.234 + DurationTolerance);

        var decoded = FfmpegDecode(path, rate);
        Assert.InRange(ZeroCrossingFrequency(decoded.AsSpan(rate / 10, rate), rate), 439.8, 440.2);
        Assert.InRange(Db(Rms(decoded.AsSpan(rate / 10, rate)) / (0.4 / Math.Sqrt(2))), -0.5, 0.5);
    }

    [Fact]
    public async Task Streaming_wav_on_a_non_seekable_stream_has_unknown_length_header_and_decodes_fully()
    {
        var pcm = TestSignal(2.0);
        using var sink = new MemoryStream();
        await using (var forwardOnly = new ForwardOnlyStream(sink))
        {
            var encoder = AudioEncoders.Create(AudioFormat.Wav, forwardOnly, new AudioEncoderSettings());
            for (int i = 0; i < pcm.Length; i += 4_800)
            {
                await encoder.WriteAsync(pcm.AsMemory(i, 4_800), TestContext.Current.CancellationToken);
                await encoder.FlushAsync(TestContext.Current.CancellationToken);
                Assert.Equal(44 + (2L * (i + 4_800)), sink.Length); // bytes reach the client as they are written
            }

            await encoder.CompleteAsync(TestContext.Current.CancellationToken);
        }

        byte[] bytes = sink.ToArray();
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));
        string path = Path.Combine(_dir, "stream.wav");
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        var decoded = FfmpegDecode(path, 24_000);
        Assert.InRange(decoded.Length / 24_000.0, 2.0 - DurationTolerance, 2.0 + DurationTolerance);
    }

    [Fact]
    public async Task Wav_of_unknown_length_on_a_seekable_stream_gets_its_sizes_patched()
    {
        var pcm = TestSignal(0.75);
        string path = Path.Combine(_dir, "patched.wav");
        await using (var file = File.Create(path))
        {
            var encoder = AudioEncoders.Create(AudioFormat.Wav, file, new AudioEncoderSettings(OutputSampleRate: 16_000));
            await encoder.WriteAsync(pcm.AsMemory(0, 10_000), TestContext.Current.CancellationToken);
            await encoder.WriteAsync(pcm.AsMemory(10_000), TestContext.Current.CancellationToken);
            await encoder.CompleteAsync(TestContext.Current.CancellationToken);
        }

        byte[] bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal((uint)(bytes.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal((uint)(bytes.Length - 44), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));
        var (_, rate, _, duration) = Probe(path);
        Assert.Equal(16_000, rate);
        Assert.InRange(duration, 0.75 - DurationTolerance, 0.75 + DurationTolerance);
    }

    [Theory]
    [InlineData(24_000)]
    [InlineData(48_000)]
    [InlineData(8_000)]
    public async Task Raw_pcm_is_s16le_with_exact_length(int rate)
    {
        var pcm = TestSignal(1.5);
        string path = await EncodeToFileAsync(AudioFormat.Pcm, pcm, new AudioEncoderSettings(OutputSampleRate: rate), $"p{rate}.pcm", blockSize: 1_000);

        Assert.Equal(2L * SincResampler.OutputLength(pcm.Length, 24_000, rate), new FileInfo(path).Length);
        string r = rate.ToString(CultureInfo.InvariantCulture);
        var decoded = FfmpegDecode(path, rate, "-f", "s16le", "-ar", r, "-ac", "1");
        Assert.InRange(decoded.Length / (double)rate, 1.5 - DurationTolerance, 1.5 + DurationTolerance);
        Assert.InRange(ZeroCrossingFrequency(decoded.AsSpan(rate / 10, rate), rate), 439.8, 440.2);
    }

    [Theory]
    [InlineData(2.5, 0)]      // one-shot
    [InlineData(2.5, 777)]    // streamed in blocks that do not match the 20 ms frame
    [InlineData(1.013, 480)]  // length not a multiple of the frame size
    [InlineData(0.2, 0)]      // shorter than one page
    public async Task Ogg_opus_decodes_with_exact_duration_and_keeps_the_tail(double seconds, int blockSize)
    {
        // A 440 Hz tone, then a 1 kHz burst in the final 100 ms: if the last page or the codec delay were not
        // flushed, the burst would be missing or cut.
        const double burst = 0.1;
        var pcm = Concat(Sine(440, 0.3, seconds - burst, 24_000), Sine(1_000, 0.5, burst, 24_000));
        string path = await EncodeToFileAsync(AudioFormat.Opus, pcm, new AudioEncoderSettings(), $"o{seconds}-{blockSize}.opus", blockSize);

        string info = RunOk("opusinfo", path);
        Assert.DoesNotContain("WARNING", info, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ERROR", info, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Channels: 1", info);
        Assert.Contains("Pre-skip: 312", info);
        Assert.Contains("Original sample rate: 24000Hz", info.Replace(" Hz", "Hz", StringComparison.Ordinal));
        var length = Regex.Match(info, @"Playback length:\s*(\d+)m:(\d+(?:\.\d+)?)s");
        Assert.True(length.Success, info);
        double playback = (int.Parse(length.Groups[1].Value, CultureInfo.InvariantCulture) * 60) + double.Parse(length.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.InRange(playback, seconds - DurationTolerance, seconds + DurationTolerance);

        var (codec, _, channels, probed) = Probe(path);
        Assert.Equal("opus", codec);
        Assert.Equal(1, channels);
        Assert.InRange(probed, seconds - DurationTolerance, seconds + DurationTolerance);

        string wav = path + ".wav";
        RunOk("opusdec", "--rate", "48000", path, wav);
        var decoded = AudioDecoder.Decode(await File.ReadAllBytesAsync(wav, TestContext.Current.CancellationToken), 60);
        Assert.Equal(48_000, decoded.SampleRate);
        Assert.InRange(decoded.DurationSeconds, seconds - DurationTolerance, seconds + DurationTolerance);

        // The burst survives: the last 80 ms (ending 5 ms before the end) carry the 1 kHz tone at about its level.
        var mono = decoded.ToMono();
        var tail = mono.AsSpan(mono.Length - (int)(0.085 * 48_000), (int)(0.080 * 48_000));
        double burstLevel = ToneAmplitude(tail, 1_000, 48_000);
        Assert.InRange(Db(burstLevel / 0.5), -3.0, 1.0);
        Assert.True(ToneAmplitude(tail, 440, 48_000) < 0.05, "the 440 Hz part must not leak into the tail");
    }

    [Fact]
    public async Task Ogg_opus_streams_pages_as_audio_arrives()
    {
        var pcm = TestSignal(1.0);
        using var sink = new MemoryStream();
        var encoder = AudioEncoders.Create(AudioFormat.Opus, sink, new AudioEncoderSettings());
        await encoder.WriteAsync(pcm.AsMemory(0, 4_800), TestContext.Current.CancellationToken);
        await encoder.FlushAsync(TestContext.Current.CancellationToken);
        long afterFirstChunk = sink.Length;
        int pagesAfterFirstChunk = CountPages(sink.ToArray());
        await encoder.WriteAsync(pcm.AsMemory(4_800), TestContext.Current.CancellationToken);
        await encoder.CompleteAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, pagesAfterFirstChunk); // OpusHead, OpusTags and the first 200 ms of audio
        Assert.True(sink.Length > afterFirstChunk);
        byte[] bytes = sink.ToArray();
        Assert.Equal(0x04, LastPageFlags(bytes) & 0x04); // end of stream
    }

    [Theory]
    [InlineData(AudioFormat.Opus, "opus")]
    [InlineData(AudioFormat.Wav, "wav")]
    public async Task Empty_stream_is_still_a_valid_file(AudioFormat format, string extension)
    {
        string path = Path.Combine(_dir, "empty." + extension);
        await using (var file = File.Create(path))
        {
            await AudioEncoders.Create(format, file, new AudioEncoderSettings()).CompleteAsync(TestContext.Current.CancellationToken);
        }

        if (format == AudioFormat.Opus)
        {
            string info = RunOk("opusinfo", path);
            Assert.DoesNotContain("WARNING", info, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Playback length: 0m:00.000s", info);
        }

        Assert.Empty(FfmpegDecode(path, 24_000));
    }

    [Fact]
    public void Ogg_crc_matches_the_reference_vector()
    {
        // CRC-32/OGG ("CRC-32/MPEG-2" without init/xorout): check value of "123456789" is 0x89A1897F.
        Assert.Equal(0x89A1897Fu, OggPageWriter.Crc("123456789"u8));
    }

    [Fact]
    public void Output_rate_outside_8_to_48_kHz_is_refused()
    {
        var ex = Assert.Throws<TtsException>(() =>
            AudioEncoders.Create(AudioFormat.Wav, Stream.Null, new AudioEncoderSettings(OutputSampleRate: 96_000)));
        Assert.Equal(TtsErrorKind.InvalidInput, ex.Kind);
    }

    private static int CountPages(byte[] ogg)
    {
        int pages = 0;
        for (int pos = 0; pos + 27 <= ogg.Length; pages++)
        {
            int segments = ogg[pos + 26];
            int body = 0;
            for (int i = 0; i < segments; i++)
            {
                body += ogg[pos + 27 + i];
            }

            pos += 27 + segments + body;
        }

        return pages;
    }

    private static int LastPageFlags(byte[] ogg)
    {
        int flags = -1;
        for (int pos = 0; pos + 27 <= ogg.Length;)
        {
            flags = ogg[pos + 5];
            int segments = ogg[pos + 26];
            int body = 0;
            for (int i = 0; i < segments; i++)
            {
                body += ogg[pos + 27 + i];
            }

            pos += 27 + segments + body;
        }

        return flags;
    }

    /// <summary>A network-like stream: no seeking, no length.</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);
    }
}
