using System.Buffers.Binary;
using System.Text;
using Concentus;
using Concentus.Enums;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Ogg Opus (RFC 7845) with Concentus: 20 ms mono frames at the input rate when Opus supports it (24 kHz model
/// output is encoded natively; other rates are resampled to 48 kHz). OpusHead carries the encoder's lookahead as
/// pre-skip; granule positions count 48 kHz samples; on completion the codec delay is drained with silent frames
/// and the end-of-stream page's granule is trimmed to the true length, so decoders output exactly the input
/// duration with nothing lost at the end (docs/audio.md#ogg-opus).
/// </summary>
internal sealed class OggOpusEncoder : IAudioEncoder
{
    private const int FrameMs = 20;
    private const int PacketsPerPage = 25; // 0.5 s per page between explicit flushes: bounded latency and overhead
    private const int MaxPacketBytes = 1275;
    private static readonly int[] OpusRates = [8_000, 12_000, 16_000, 24_000, 48_000];

    private readonly Stream _output;
    private readonly IOpusEncoder _encoder;
    private readonly SincResampler? _resampler;
    private readonly OggPageWriter _pages;
    private readonly int _codecRate;
    private readonly int _granulePerSample; // 48 kHz ticks per codec-rate sample
    private readonly int _frameSize;
    private readonly int _preSkip;          // in 48 kHz samples
    private readonly float[] _frame;
    private readonly byte[] _packet = new byte[MaxPacketBytes];
    private int _frameFill;
    private long _inputSamples;   // at codec rate
    private long _encodedSamples; // at codec rate, including padding
    private bool _headersWritten;
    private bool _completed;

    public OggOpusEncoder(Stream output, int inputRate, int bitrate, int complexity)
    {
        _output = output;
        InputSampleRate = inputRate;
        _codecRate = Array.IndexOf(OpusRates, inputRate) >= 0 ? inputRate : 48_000;
        _resampler = _codecRate == inputRate ? null : new SincResampler(inputRate, _codecRate);
        _granulePerSample = 48_000 / _codecRate;
        _frameSize = _codecRate * FrameMs / 1000;
        _frame = new float[_frameSize];

        _encoder = OpusCodecFactory.CreateEncoder(_codecRate, 1, OpusApplication.OPUS_APPLICATION_AUDIO);
        _encoder.Bitrate = bitrate;
        _encoder.SignalType = OpusSignal.OPUS_SIGNAL_VOICE;
        _encoder.Complexity = Math.Clamp(complexity, 0, 10);
        _preSkip = _encoder.Lookahead * _granulePerSample;
        _pages = new OggPageWriter(output, (uint)Random.Shared.Next());
    }

    public AudioFormat Format => AudioFormat.Opus;

    public string ContentType => AudioEncoders.ContentTypeOf(AudioFormat.Opus);

    public int InputSampleRate { get; }

    public int OutputSampleRate => 48_000;

    public async ValueTask WriteAsync(ReadOnlyMemory<float> pcm, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        await EnsureHeadersAsync(cancellationToken);
        if (_resampler is null)
        {
            await EncodeAsync(pcm.Span.ToArray(), cancellationToken);
        }
        else
        {
            await EncodeAsync(_resampler.Process(pcm.Span), cancellationToken);
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await EnsureHeadersAsync(cancellationToken);
        await _pages.FlushPageAsync(endOfStream: false, granuleOverride: null, cancellationToken);
        await _output.FlushAsync(cancellationToken);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }

        await EnsureHeadersAsync(cancellationToken);
        if (_resampler is not null)
        {
            await EncodeAsync(_resampler.Flush(), cancellationToken);
        }

        _completed = true;

        // The encoder holds `lookahead` samples back: keep feeding silence until every input sample has gone into a
        // packet, and always put at least one packet on the end-of-stream page.
        long needed = _inputSamples + _encoder.Lookahead;
        while (_encodedSamples < needed || _pages.PendingPackets == 0)
        {
            Array.Clear(_frame, _frameFill, _frameSize - _frameFill);
            _frameFill = _frameSize;
            await EncodeFrameAsync(cancellationToken);
        }

        long finalGranule = _preSkip + (_inputSamples * _granulePerSample);
        await _pages.FlushPageAsync(endOfStream: true, granuleOverride: finalGranule, cancellationToken);
        await _output.FlushAsync(cancellationToken);
    }

    private async ValueTask EncodeAsync(float[] samples, CancellationToken cancellationToken)
    {
        _inputSamples += samples.Length;
        int offset = 0;
        while (offset < samples.Length)
        {
            int take = Math.Min(_frameSize - _frameFill, samples.Length - offset);
            Array.Copy(samples, offset, _frame, _frameFill, take);
            _frameFill += take;
            offset += take;
            if (_frameFill == _frameSize)
            {
                await EncodeFrameAsync(cancellationToken);
            }
        }
    }

    private async ValueTask EncodeFrameAsync(CancellationToken cancellationToken)
    {
        int length = _encoder.Encode(_frame, _frameSize, _packet, _packet.Length);
        if (length < 0)
        {
            throw new InvalidOperationException($"Opus encoder failed with error {length}.");
        }

        _frameFill = 0;
        _encodedSamples += _frameSize;
        await _pages.AddPacketAsync(_packet.AsMemory(0, length).ToArray(), _encodedSamples * _granulePerSample, cancellationToken);
        if (_pages.PendingPackets >= PacketsPerPage)
        {
            await _pages.FlushPageAsync(endOfStream: false, granuleOverride: null, cancellationToken);
        }
    }

    private async ValueTask EnsureHeadersAsync(CancellationToken cancellationToken)
    {
        if (_headersWritten)
        {
            return;
        }

        _headersWritten = true;

        // RFC 7845 §5.1 identification header, alone on the first (BOS) page.
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1; // version
        head[9] = 1; // channels
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), (ushort)_preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), (uint)InputSampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(16), 0); // output gain
        head[18] = 0; // channel mapping family 0 (mono/stereo)
        await _pages.AddPacketAsync(head, 0, cancellationToken);
        await _pages.FlushPageAsync(endOfStream: false, granuleOverride: 0, cancellationToken);

        // RFC 7845 §5.2 comment header on its own page; audio starts on a fresh page.
        var vendor = Encoding.UTF8.GetBytes("F5Tts.Server (" + _encoder.GetVersionString() + ")");
        var tags = new byte[8 + 4 + vendor.Length + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(8), (uint)vendor.Length);
        vendor.CopyTo(tags, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(12 + vendor.Length), 0); // no user comments
        await _pages.AddPacketAsync(tags, 0, cancellationToken);
        await _pages.FlushPageAsync(endOfStream: false, granuleOverride: 0, cancellationToken);
    }
}
