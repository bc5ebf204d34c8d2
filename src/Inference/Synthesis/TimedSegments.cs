using F5Tts.Inference.Text;

namespace F5Tts.Inference.Synthesis;

/// <summary>One utterance of a multi-segment request, in its own voice and, optionally, of an exact length.</summary>
/// <param name="Label">How error messages and reports name it (<c>cue 3</c>).</param>
/// <param name="Text">What to say.</param>
/// <param name="VoiceId">Stored voice id; null uses the request's voice.</param>
/// <param name="TargetSamples">The length the speech should have, in 24 kHz samples; null speaks at the voice's own
/// rate.</param>
public sealed record SpeechSegment(string Label, string Text, string? VoiceId, long? TargetSamples);

/// <summary>How far a segment's speaking rate may move from its voice's own rate (1 = the voice's own rate).</summary>
/// <param name="Min">Slowest rate, e.g. 0.5 (twice as long as the voice would say it).</param>
/// <param name="Max">Fastest rate, e.g. 2.0.</param>
public sealed record RateBounds(double Min, double Max);

/// <summary>Whether a segment's rate had to be held at one of its <see cref="RateBounds"/>.</summary>
public enum RateFit
{
    /// <summary>The segment has the length it asked for.</summary>
    None,

    /// <summary>Too little text for the time: spoken at the slowest rate, shorter than asked.</summary>
    Slowest,

    /// <summary>Too much text for the time: spoken at the fastest rate, longer than asked.</summary>
    Fastest,
}

/// <summary>The audio of one segment and how its length was decided.</summary>
/// <param name="Audio">24 kHz mono float PCM.</param>
/// <param name="VoiceId">The voice that spoke it.</param>
/// <param name="NaturalFrames">Generated frames the duration rule gives the text at the voice's own rate.</param>
/// <param name="Frames">Generated frames it was given (the engine's total is the reference's frames plus these).</param>
/// <param name="Rate">Speaking rate relative to the voice's own: <paramref name="NaturalFrames"/> / <paramref name="Frames"/>.</param>
/// <param name="Fit">Whether the rate was held at a bound.</param>
public sealed record SegmentAudio(float[] Audio, string VoiceId, int NaturalFrames, int Frames, double Rate, RateFit Fit);

/// <summary>Where one text segment (a chunk of a plain text, a speech segment of a script) lies in the response audio.</summary>
/// <param name="Index">0-based position among the segments.</param>
/// <param name="Text">The text it speaks (for a chunk: after markup parsing and normalisation).</param>
/// <param name="StartSample">First sample (24 kHz) of its speech; for a cross-faded chunk, where its fade-in begins.</param>
/// <param name="EndSample">One past its last sample; a cross-faded chunk's fade-out overlaps the next chunk's start.</param>
/// <param name="VoiceId">Its voice in a script; null for the request's own voice.</param>
public sealed record SegmentTimestamp(int Index, string Text, long StartSample, long EndSample, string? VoiceId);

/// <summary>Every segment's audio, in request order, and where the request's time went.</summary>
public sealed record SegmentsResult(IReadOnlyList<SegmentAudio> Segments, TtsTiming Timing);

/// <summary>
/// The frame arithmetic of an exact length (docs/dub.md "Exact lengths"). The engine is given N = reference mel frames
/// + generated frames + 1: the decoder turns g generated frames into (g − 1) hops of audio, so this N yields
/// <c>generated × 256</c> samples — the requested length rounded to the nearest frame (10.7 ms at 24 kHz).
/// </summary>
public static class ExactDuration
{
    /// <summary>Generated frames nearest to <paramref name="samples"/> of audio (at least 1).</summary>
    public static int FramesFor(long samples) =>
        (int)Math.Max(1, Math.Round(samples / (double)DurationEstimator.HopLength, MidpointRounding.AwayFromZero));

    /// <summary>Total frames N for <paramref name="generatedFrames"/> of speech after a reference of <paramref name="referenceSamples"/>.</summary>
    public static int TotalFrames(int referenceSamples, int generatedFrames) =>
        DurationEstimator.ReferenceMelFrames(referenceSamples) + generatedFrames + 1;

    /// <summary>
    /// The generated frames for a segment that asks for <paramref name="targetFrames"/> when its voice would say it in
    /// <paramref name="naturalFrames"/>: the target itself, or the nearest length within <paramref name="bounds"/>.
    /// </summary>
    public static (int Frames, double Rate, RateFit Fit) Fit(int naturalFrames, int targetFrames, RateBounds bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        var natural = Math.Max(1, naturalFrames);
        var rate = natural / (double)targetFrames;
        if (rate > bounds.Max)
        {
            var frames = (int)Math.Ceiling(natural / bounds.Max);
            return (frames, natural / (double)frames, RateFit.Fastest);
        }

        if (rate < bounds.Min)
        {
            var frames = Math.Max(1, (int)Math.Floor(natural / bounds.Min));
            return (frames, natural / (double)frames, RateFit.Slowest);
        }

        return (targetFrames, rate, RateFit.None);
    }
}
