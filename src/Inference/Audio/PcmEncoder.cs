namespace F5Tts.Inference.Audio;

/// <summary>Raw little-endian signed 16-bit mono PCM, optionally resampled. Streams naturally: no header.</summary>
internal sealed class PcmEncoder : IAudioEncoder
{
    private readonly Stream _output;
    private readonly SincResampler? _resampler;
    private bool _completed;

    public PcmEncoder(Stream output, int inputRate, int outputRate)
    {
        _output = output;
        InputSampleRate = inputRate;
        OutputSampleRate = outputRate;
        _resampler = inputRate == outputRate ? null : new SincResampler(inputRate, outputRate);
    }

    public AudioFormat Format => AudioFormat.Pcm;

    public string ContentType => AudioEncoders.ContentTypeOf(AudioFormat.Pcm);

    public int InputSampleRate { get; }

    public int OutputSampleRate { get; }

    public ValueTask WriteAsync(ReadOnlyMemory<float> pcm, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var block = _resampler is null ? pcm.ToArray() : _resampler.Process(pcm.Span);
        return Pcm16.WriteAsync(_output, block, cancellationToken);
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
            await Pcm16.WriteAsync(_output, _resampler.Flush(), cancellationToken);
        }

        await _output.FlushAsync(cancellationToken);
    }
}
