using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio.Lame;

/// <summary>
/// <see cref="IAudioEncoder"/> for MP3: optional band-limited resampling to the requested rate, then LAME. MPEG
/// rates only (8, 11.025, 12, 16, 22.05, 24, 32, 44.1, 48 kHz); availability depends on libmp3lame being installed.
/// </summary>
internal sealed class Mp3AudioEncoder : IAudioEncoder, IDisposable
{
    private static readonly int[] MpegRates = [8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000];

    private readonly Stream _output;
    private readonly SincResampler? _resampler;
    private readonly Mp3Encoder _encoder;
    private bool _completed;

    public Mp3AudioEncoder(Stream output, int inputRate, int outputRate)
    {
        if (!Mp3Encoder.IsAvailable)
        {
            throw TtsException.InvalidInput(
                "mp3 output needs libmp3lame, which is not installed on this server; use wav, opus or pcm.");
        }

        if (Array.IndexOf(MpegRates, outputRate) < 0)
        {
            throw TtsException.InvalidInput(
                $"mp3 supports sample rates {string.Join(", ", MpegRates)} Hz, not {outputRate}.");
        }

        _output = output;
        InputSampleRate = inputRate;
        OutputSampleRate = outputRate;
        _resampler = inputRate == outputRate ? null : new SincResampler(inputRate, outputRate);
        _encoder = new Mp3Encoder(outputRate);
    }

    public AudioFormat Format => AudioFormat.Mp3;

    public string ContentType => AudioEncoders.ContentTypeOf(AudioFormat.Mp3);

    public int InputSampleRate { get; }

    public int OutputSampleRate { get; }

    public async ValueTask WriteAsync(ReadOnlyMemory<float> pcm, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var block = _resampler is null ? pcm : _resampler.Process(pcm.Span);
        var bytes = _encoder.Encode(block.Span).ToArray();
        await _output.WriteAsync(bytes, cancellationToken);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        await _output.FlushAsync(cancellationToken);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        if (_resampler is not null)
        {
            var rest = _encoder.Encode(_resampler.Flush()).ToArray();
            await _output.WriteAsync(rest, cancellationToken);
        }

        var last = _encoder.Flush().ToArray();
        _encoder.Dispose();
        await _output.WriteAsync(last, cancellationToken);
        await _output.FlushAsync(cancellationToken);
    }

    /// <summary>Frees LAME's state when the response ends early (client gone) without CompleteAsync.</summary>
    public void Dispose() => _encoder.Dispose();
}
