using System.Buffers.Binary;

namespace F5Tts.Inference.Audio;

/// <summary>
/// RIFF/WAVE 16-bit PCM mono. The header is written first so bytes can stream: with a known total length it is
/// exact; otherwise a seekable stream gets its sizes patched on completion, and a non-seekable one carries the
/// "unknown length" sizes 0xFFFFFFFF (what OpenAI's streaming WAV does; ffmpeg/sox/browsers read to the end).
/// </summary>
internal sealed class WavEncoder : IAudioEncoder
{
    private const int HeaderBytes = 44;
    private readonly Stream _output;
    private readonly SincResampler? _resampler;
    private readonly long? _knownOutputSamples;
    private readonly long _headerPosition;
    private bool _headerWritten;
    private bool _completed;
    private long _samplesWritten;

    public WavEncoder(Stream output, int inputRate, int outputRate, long? totalInputSamples)
    {
        _output = output;
        InputSampleRate = inputRate;
        OutputSampleRate = outputRate;
        _resampler = inputRate == outputRate ? null : new SincResampler(inputRate, outputRate);
        _knownOutputSamples = totalInputSamples is { } n ? SincResampler.OutputLength(n, inputRate, outputRate) : null;
        _headerPosition = output.CanSeek ? output.Position : 0;
    }

    public AudioFormat Format => AudioFormat.Wav;

    public string ContentType => AudioEncoders.ContentTypeOf(AudioFormat.Wav);

    public int InputSampleRate { get; }

    public int OutputSampleRate { get; }

    public async ValueTask WriteAsync(ReadOnlyMemory<float> pcm, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        await EnsureHeaderAsync(cancellationToken);
        var block = _resampler is null ? pcm.ToArray() : _resampler.Process(pcm.Span);
        await WriteSamplesAsync(block, cancellationToken);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await EnsureHeaderAsync(cancellationToken);
        await _output.FlushAsync(cancellationToken);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }

        await EnsureHeaderAsync(cancellationToken);
        if (_resampler is not null)
        {
            await WriteSamplesAsync(_resampler.Flush(), cancellationToken);
        }

        _completed = true;
        if (_knownOutputSamples is { } expected && expected != _samplesWritten)
        {
            throw new InvalidOperationException(
                $"WAV header promised {expected} samples but {_samplesWritten} were written.");
        }

        if (_knownOutputSamples is null && _output.CanSeek)
        {
            long end = _output.Position;
            _output.Position = _headerPosition;
            await _output.WriteAsync(BuildHeader(OutputSampleRate, _samplesWritten), cancellationToken);
            _output.Position = end;
        }

        await _output.FlushAsync(cancellationToken);
    }

    /// <summary>44-byte canonical header; <paramref name="samples"/> null writes the unknown-length sentinels.</summary>
    internal static byte[] BuildHeader(int sampleRate, long? samples, int bitsPerSample = 16, ushort formatTag = 1)
    {
        var h = new byte[HeaderBytes];
        int blockAlign = bitsPerSample / 8;
        long dataBytes = samples * blockAlign ?? -1;
        uint dataSize = dataBytes is < 0 or > uint.MaxValue - HeaderBytes ? uint.MaxValue : (uint)dataBytes;
        uint riffSize = dataSize == uint.MaxValue ? uint.MaxValue : dataSize + HeaderBytes - 8;
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), riffSize);
        "WAVEfmt "u8.CopyTo(h.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(20), formatTag);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(22), 1); // mono
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(28), (uint)(sampleRate * blockAlign));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(32), (ushort)blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(34), (ushort)bitsPerSample);
        "data"u8.CopyTo(h.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), dataSize);
        return h;
    }

    /// <summary>Writes a complete 32-bit float mono WAV (lossless storage of conditioned references).</summary>
    internal static byte[] EncodeFloat32(ReadOnlySpan<float> samples, int sampleRate)
    {
        var bytes = new byte[HeaderBytes + (samples.Length * 4)];
        BuildHeader(sampleRate, samples.Length, bitsPerSample: 32, formatTag: 3).CopyTo(bytes, 0);
        for (int i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(HeaderBytes + (4 * i)), samples[i]);
        }

        return bytes;
    }

    private async ValueTask EnsureHeaderAsync(CancellationToken cancellationToken)
    {
        if (_headerWritten)
        {
            return;
        }

        _headerWritten = true;
        await _output.WriteAsync(BuildHeader(OutputSampleRate, _knownOutputSamples), cancellationToken);
    }

    private async ValueTask WriteSamplesAsync(float[] block, CancellationToken cancellationToken)
    {
        if (_knownOutputSamples is { } expected && _samplesWritten + block.Length > expected)
        {
            throw new InvalidOperationException($"More samples written than the {expected} announced in the WAV header.");
        }

        await Pcm16.WriteAsync(_output, block, cancellationToken);
        _samplesWritten += block.Length;
    }
}
