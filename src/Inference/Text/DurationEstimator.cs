namespace F5Tts.Inference.Text;

/// <summary>Which upstream implementation the front-end reproduces (docs/text-frontend.md, "Modes").</summary>
public enum UpstreamMode
{
    /// <summary>
    /// SWivid/F5-TTS <c>infer_process</c>: reference text normalised (". " appended unless it ends with ". " or 。, then
    /// one more space after a 1-byte last character); reference frames <c>samples // 256</c>; generated texts under 10
    /// UTF-8 bytes use speed 0.3; total clamped to at least <c>max(T_text, ref_mel_frames) + 1</c>; long text chunked.
    /// </summary>
    Official,

    /// <summary>
    /// DakeQQ/F5-TTS-ONNX: texts joined as given; reference frames <c>samples // 256 + 1</c>; no 0.3 rule. The same
    /// lower clamp is applied because the DakeQQ graphs break without it (docs/model.md "Limits").
    /// </summary>
    DakeQQ,
}

/// <summary>How many mel frames an utterance gets.</summary>
/// <param name="TotalFrames">N = reference + generated frames, what the engine allocates.</param>
/// <param name="ReferenceFrames">Reference frames used by the formula (mode dependent, see <see cref="UpstreamMode"/>).</param>
/// <param name="GeneratedFrames">TotalFrames − ReferenceFrames.</param>
/// <param name="Speed">The speed actually used (0.3 for very short official texts).</param>
public readonly record struct DurationEstimate(int TotalFrames, int ReferenceFrames, int GeneratedFrames, double Speed);

/// <summary>
/// The duration rule of docs/model.md "Duration": <c>ref + int(ref / bytes(ref_text) × bytes(gen_text) / speed)</c> with UTF-8 byte
/// lengths. Pure functions.
/// </summary>
public static class DurationEstimator
{
    /// <summary>Model sample rate.</summary>
    public const int SampleRate = 24000;

    /// <summary>Mel hop length.</summary>
    public const int HopLength = 256;

    /// <summary>Official: texts under this many UTF-8 bytes are generated at speed 0.3.</summary>
    public const int ShortTextBytes = 10;

    /// <summary>Official speed for very short texts.</summary>
    public const double ShortTextSpeed = 0.3;

    /// <summary>Reference mel frames as the model's Preprocess counts them (center-padded STFT).</summary>
    public static int ReferenceMelFrames(int referenceSamples) => referenceSamples / HopLength + 1;

    /// <summary>
    /// Estimates N. <paramref name="referenceTextBytes"/> is the UTF-8 length of the reference text as joined (i.e.
    /// after the Official normalisation in that mode); <paramref name="textTokenCount"/> the length of the joined id
    /// sequence. Throws <see cref="TextInputException"/> (413) when the estimate exceeds <paramref name="maxFrames"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="applyShortTextRule"/> (Official only) slows texts under 10 bytes to speed 0.3; the planner turns
    /// it off for pieces it had to split below upstream's chunks to fit the frame window (the rule would make them longer).
    /// </remarks>
    public static DurationEstimate Estimate(UpstreamMode mode, int referenceSamples, int referenceTextBytes,
        int generatedTextBytes, double speed, int textTokenCount, int maxFrames, bool applyShortTextRule = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(referenceSamples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(speed);
        var refLen = mode == UpstreamMode.Official ? referenceSamples / HopLength : referenceSamples / HopLength + 1;
        var localSpeed = mode == UpstreamMode.Official && applyShortTextRule && generatedTextBytes < ShortTextBytes
            ? ShortTextSpeed
            : speed;

        // Python: ref_audio_len + int(ref_audio_len / ref_text_len * gen_text_len / local_speed), float64, truncation.
        var refBytes = Math.Max(referenceTextBytes, 1);
        var extra = (double)refLen / refBytes * generatedTextBytes / localSpeed;
        var total = refLen + (long)extra;

        // CFM.sample: duration = max(duration, max(T_text, ref_mel_frames) + 1).
        var floor = (long)Math.Max(textTokenCount, ReferenceMelFrames(referenceSamples)) + 1;
        total = Math.Max(total, floor);

        if (total > maxFrames)
        {
            throw new TextInputException(TextErrorKind.TooLong,
                $"The text needs about {total} mel frames ({total * HopLength / (double)SampleRate:0.0} s including the reference) " +
                $"but the model allows at most {maxFrames}; send a shorter text or a shorter reference clip.");
        }

        return new DurationEstimate((int)total, refLen, (int)total - refLen, localSpeed);
    }

    /// <summary>
    /// Upstream chunk budget (docs/model.md "Chunking long text"): <c>int(bytes(ref_text) / ref_sec × (budget − ref_sec) × speed)</c>,
    /// at least 1.
    /// </summary>
    public static int ChunkBudgetBytes(int referenceSamples, int referenceTextBytes, double speed, double budgetSeconds)
    {
        var refSec = referenceSamples / (double)SampleRate;
        if (refSec <= 0)
        {
            return int.MaxValue;
        }

        var maxChars = (long)(referenceTextBytes / refSec * (budgetSeconds - refSec) * speed);
        return (int)Math.Clamp(maxChars, 1, int.MaxValue);
    }
}
