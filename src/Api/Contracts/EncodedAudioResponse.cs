using System.Text.Json.Serialization;
using F5Tts.Inference.Audio;

namespace F5Tts.Api.Contracts;

/// <summary>
/// The fields a JSON answer with the audio in it starts with (<see cref="TimestampsResponse"/>,
/// <see cref="DubReportResponse"/>): the encoded audio and the rate the answer's sample positions count in. Each field
/// is ordered first (-1) because System.Text.Json writes a derived type's own properties before the inherited ones, and
/// the answers have always begun with these.
/// </summary>
/// <param name="Format">Format of <paramref name="Audio"/> (wav, opus, pcm, mp3).</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="SampleRate">Sample rate of the encoded audio.</param>
/// <param name="DurationSeconds">Length of the audio.</param>
/// <param name="TimingSampleRate">The rate the <c>*_sample</c> and <c>*_samples</c> fields count in: the model's 24 kHz.</param>
/// <param name="Audio">The encoded audio, base64.</param>
public abstract record EncodedAudioResponse(
    [property: JsonPropertyName("format"), JsonPropertyOrder(-1)] string Format,
    [property: JsonPropertyName("content_type"), JsonPropertyOrder(-1)] string ContentType,
    [property: JsonPropertyName("sample_rate"), JsonPropertyOrder(-1)] int SampleRate,
    [property: JsonPropertyName("duration_seconds"), JsonPropertyOrder(-1)] double DurationSeconds,
    [property: JsonPropertyName("timing_sample_rate"), JsonPropertyOrder(-1)] int TimingSampleRate,
    [property: JsonPropertyName("audio"), JsonPropertyOrder(-1)] string Audio)
{
    /// <summary>The fields of audio of <paramref name="samples"/> at <paramref name="timingSampleRate"/>, encoded.</summary>
    /// <param name="format">Name of the format.</param>
    /// <param name="encoding">The format the audio was encoded in.</param>
    /// <param name="sampleRate">Sample rate of the encoded audio.</param>
    /// <param name="samples">Length of the audio before encoding.</param>
    /// <param name="timingSampleRate">The model's rate, which the answer's sample positions count in.</param>
    /// <param name="encoded">The encoded audio.</param>
    private protected EncodedAudioResponse(string format, AudioFormat encoding, int sampleRate, long samples, int timingSampleRate,
        MemoryStream encoded)
        : this(format, AudioEncoders.ContentTypeOf(encoding), sampleRate, Math.Round((double)samples / timingSampleRate, 6),
            timingSampleRate, Convert.ToBase64String(encoded.GetBuffer(), 0, (int)encoded.Length))
    {
    }

    /// <summary>Sample rate of audio encoded in <paramref name="format"/>: the <paramref name="requested"/> one, else the
    /// <paramref name="inputRate"/>; Opus always decodes at 48 kHz, whatever was asked.</summary>
    private protected static int SampleRateOf(AudioFormat format, int? requested, int inputRate) =>
        format == AudioFormat.Opus ? 48_000 : requested ?? inputRate;
}
