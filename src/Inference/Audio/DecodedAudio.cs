namespace F5Tts.Inference.Audio;

/// <summary>Decoded audio before conditioning: interleaved float samples in [-1, 1] at the source rate.</summary>
/// <param name="Samples">Interleaved samples (frame-major: <c>Samples[frame * Channels + channel]</c>).</param>
/// <param name="SampleRate">Source sample rate in Hz.</param>
/// <param name="Channels">Channel count (≥ 1).</param>
/// <param name="Format">Human-readable source format, e.g. <c>wav/pcm16</c>, <c>wav/float32</c>, <c>mp3</c>.</param>
public sealed record DecodedAudio(float[] Samples, int SampleRate, int Channels, string Format)
{
    /// <summary>Number of frames (samples per channel).</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>Duration in seconds.</summary>
    public double DurationSeconds => (double)Frames / SampleRate;

    /// <summary>Mean over channels, as upstream does (torchaudio load + <c>mean(dim=0)</c>, docs/model.md "Reference audio conditioning").</summary>
    public float[] ToMono()
    {
        if (Channels == 1)
        {
            return (float[])Samples.Clone();
        }

        var mono = new float[Frames];
        for (int f = 0, i = 0; f < mono.Length; f++)
        {
            double sum = 0;
            for (int c = 0; c < Channels; c++, i++)
            {
                sum += Samples[i];
            }

            mono[f] = (float)(sum / Channels);
        }

        return mono;
    }
}
