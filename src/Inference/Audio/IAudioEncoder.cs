using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>Response audio formats.</summary>
public enum AudioFormat
{
    /// <summary>RIFF/WAVE, 16-bit PCM, mono.</summary>
    Wav,

    /// <summary>Raw little-endian signed 16-bit PCM, mono, no header.</summary>
    Pcm,

    /// <summary>Ogg Opus (RFC 7845), mono.</summary>
    Opus,

    /// <summary>MPEG-1/2 Layer III, mono, constant bit rate; only where libmp3lame is installed.</summary>
    Mp3,
}

/// <summary>
/// Streaming audio encoder onto a <see cref="Stream"/>. Feed mono float PCM in [-1, 1] at
/// <see cref="InputSampleRate"/> with <see cref="WriteAsync"/> as it is generated, call <see cref="FlushAsync"/> to
/// push what is encodable to the client now, and <see cref="CompleteAsync"/> exactly once at the end (it writes the
/// trailing pages/samples; without it the output is incomplete). The encoder never disposes the stream.
/// Not thread-safe: one writer at a time.
/// </summary>
public interface IAudioEncoder
{
    /// <summary>The format written.</summary>
    AudioFormat Format { get; }

    /// <summary>MIME type for the response's Content-Type header.</summary>
    string ContentType { get; }

    /// <summary>Rate of the PCM passed to <see cref="WriteAsync"/> (24 kHz for model output).</summary>
    int InputSampleRate { get; }

    /// <summary>Rate of the encoded audio (for Opus: the decoder's 48 kHz clock).</summary>
    int OutputSampleRate { get; }

    /// <summary>Encodes a block; may write complete chunks/pages to the stream.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<float> pcm, CancellationToken cancellationToken = default);

    /// <summary>Writes everything that can be written without the rest of the stream and flushes the stream.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends the stream: drains resampler/codec delay, writes the final page/header fix-up, flushes.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken = default);
}

/// <summary>Settings for one encoder instance.</summary>
/// <param name="InputSampleRate">Rate of the PCM that will be written (24 kHz for model output).</param>
/// <param name="OutputSampleRate">WAV/PCM output rate (8–48 kHz; null keeps the input rate). Ignored by Opus,
/// which always decodes at 48 kHz.</param>
/// <param name="TotalInputSamples">When known in advance (non-streaming responses), the WAV header gets exact sizes
/// on a non-seekable stream. Null on a non-seekable stream writes the streaming header (sizes 0xFFFFFFFF).</param>
/// <param name="OpusBitrate">Opus target bitrate in bit/s (<c>F5Tts:Audio:OpusBitrate</c>).</param>
/// <param name="OpusComplexity">Opus complexity 0–10 (<c>F5Tts:Audio:OpusComplexity</c>).</param>
public sealed record AudioEncoderSettings(
    int InputSampleRate = 24_000,
    int? OutputSampleRate = null,
    long? TotalInputSamples = null,
    int OpusBitrate = 32_000,
    int OpusComplexity = 10);

/// <summary>Creates encoders.</summary>
public static class AudioEncoders
{
    /// <summary>Lowest output rate accepted for WAV/PCM.</summary>
    public const int MinOutputSampleRate = 8_000;

    /// <summary>Highest output rate accepted for WAV/PCM.</summary>
    public const int MaxOutputSampleRate = 48_000;

    /// <summary>Creates an encoder for <paramref name="format"/> writing to <paramref name="output"/>.</summary>
    /// <exception cref="TtsException">The requested output rate is outside [8, 48] kHz (400).</exception>
    public static IAudioEncoder Create(AudioFormat format, Stream output, AudioEncoderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.InputSampleRate, 1000);
        int outRate = settings.OutputSampleRate ?? settings.InputSampleRate;
        if (format != AudioFormat.Opus && outRate is < MinOutputSampleRate or > MaxOutputSampleRate)
        {
            throw TtsException.InvalidInput(
                $"sample_rate {outRate} is outside [{MinOutputSampleRate}, {MaxOutputSampleRate}] Hz.");
        }

        return format switch
        {
            AudioFormat.Wav => new WavEncoder(output, settings.InputSampleRate, outRate, settings.TotalInputSamples),
            AudioFormat.Pcm => new PcmEncoder(output, settings.InputSampleRate, outRate),
            AudioFormat.Opus => new OggOpusEncoder(output, settings.InputSampleRate, settings.OpusBitrate, settings.OpusComplexity),
            AudioFormat.Mp3 => new Lame.Mp3AudioEncoder(output, settings.InputSampleRate, outRate),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown audio format."),
        };
    }

    /// <summary>Encodes a whole clip (non-streaming convenience).</summary>
    public static async Task EncodeAsync(
        AudioFormat format, ReadOnlyMemory<float> pcm, Stream output, AudioEncoderSettings settings,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var encoder = Create(format, output, settings with { TotalInputSamples = pcm.Length });
        await encoder.WriteAsync(pcm, cancellationToken);
        await encoder.CompleteAsync(cancellationToken);
    }

    /// <summary>MIME type of a format.</summary>
    public static string ContentTypeOf(AudioFormat format) => format switch
    {
        AudioFormat.Wav => "audio/wav",
        AudioFormat.Pcm => "audio/pcm",
        AudioFormat.Opus => "audio/ogg; codecs=opus",
        AudioFormat.Mp3 => "audio/mpeg",
        _ => "application/octet-stream",
    };
}
