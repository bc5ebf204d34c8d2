namespace F5Tts.Inference.Audio;

/// <summary>
/// A reference clip ready for the engine (docs/model.md "Reference audio conditioning"): 24 kHz mono float PCM, silence-trimmed, RMS-boosted when
/// quiet, with 50 ms of silence appended. Pass <see cref="Samples"/> as <c>EngineInput.ReferenceAudio</c> and
/// <see cref="OutputGain"/> as <c>EngineInput.OutputGain</c>.
/// </summary>
/// <param name="Samples">24 kHz mono samples. Treat as read-only: the array is shared by every request of a voice.</param>
/// <param name="OutputGain">Gain that undoes the RMS boost on generated audio (<c>rms/0.1</c>, docs/model.md "Post-processing"); 1 when
/// the clip was loud enough.</param>
/// <param name="SourceSeconds">Duration of the decoded upload before trimming.</param>
/// <param name="SpeechSeconds">Duration after silence trimming, before the 50 ms pad (what the limits apply to).</param>
public sealed record ConditionedReference(float[] Samples, float OutputGain, double SourceSeconds, double SpeechSeconds)
{
    /// <summary>Sample rate of <see cref="Samples"/>: always 24 kHz, the model's rate.</summary>
    public const int SampleRate = 24_000;

    /// <summary>Duration of <see cref="Samples"/> in seconds (speech + 50 ms pad).</summary>
    public double DurationSeconds => (double)Samples.Length / SampleRate;
}
