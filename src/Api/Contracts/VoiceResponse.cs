using F5Tts.Inference.Voices;

namespace F5Tts.Api.Contracts;

/// <summary>A voice in the library.</summary>
/// <param name="Id">Stable id; pass it as <c>voice</c> to <c>/v1/tts</c>.</param>
/// <param name="Name">Display name.</param>
/// <param name="Transcript">Exact text spoken in the reference clip.</param>
/// <param name="DurationSeconds">Reference speech duration after silence trimming.</param>
/// <param name="SampleRate">Rate of the stored conditioned clip (always 24000).</param>
/// <param name="OutputGain">Gain applied to generated audio to undo the RMS boost of a quiet clip (1 = none).</param>
/// <param name="SourceFormat">Format of the original upload, e.g. <c>wav/pcm16</c> or <c>mp3</c>.</param>
/// <param name="CreatedAt">Upload time (UTC).</param>
/// <param name="ReadOnly">True for the built-in voice, which cannot be deleted.</param>
public sealed record VoiceResponse(
    string Id,
    string Name,
    string Transcript,
    double DurationSeconds,
    int SampleRate,
    float OutputGain,
    string SourceFormat,
    DateTimeOffset CreatedAt,
    bool ReadOnly)
{
    internal static VoiceResponse From(Voice voice) => new(
        voice.Id,
        voice.Name,
        voice.Transcript,
        Math.Round(voice.Reference.SpeechSeconds, 3),
        F5Tts.Inference.Audio.ConditionedReference.SampleRate,
        voice.Reference.OutputGain,
        voice.SourceFormat,
        voice.CreatedAt,
        voice.ReadOnly);
}

/// <summary>The voice library.</summary>
/// <param name="Voices">All voices, the built-in <c>default</c> first.</param>
public sealed record VoiceListResponse(IReadOnlyList<VoiceResponse> Voices);
