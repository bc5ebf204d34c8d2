using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Api.Synthesis;

/// <summary>The <c>loudness_lufs</c> option of <c>/v1/tts</c> and <c>/v1/dub</c> (docs/audio.md "Loudness").</summary>
internal static class LoudnessTarget
{
    /// <summary>Quietest target accepted (LUFS).</summary>
    public const double Min = -50;

    /// <summary>Loudest target accepted (LUFS); louder targets would mostly be limiter.</summary>
    public const double Max = -5;

    /// <summary>True-peak ceiling of normalised audio (dBTP), as EBU R128 asks.</summary>
    public const double CeilingDbtp = -1;

    /// <summary>Checks a target before any synthesis is spent (400 otherwise).</summary>
    public static void Validate(double? target, bool whole)
    {
        if (target is not { } value)
        {
            return;
        }

        if (!double.IsFinite(value) || value < Min || value > Max)
        {
            throw TtsException.InvalidInput($"loudness_lufs must be between {Min} and {Max}.", "loudness_lufs");
        }

        if (!whole)
        {
            throw TtsException.InvalidInput(
                "loudness_lufs needs the whole audio to measure: it cannot be combined with streaming.", "loudness_lufs");
        }
    }

    /// <summary>Normalises 24 kHz PCM in place when a target is set.</summary>
    public static void Apply(float[] pcm, double? target)
    {
        if (target is { } value)
        {
            Loudness.Normalize(pcm, TtsService.SampleRate, value, CeilingDbtp);
        }
    }
}
