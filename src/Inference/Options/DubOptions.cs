using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Limits of subtitle-timed synthesis (<c>POST /v1/dub</c>), section <c>F5Tts:Dub</c> (docs/dub.md).</summary>
public sealed class DubOptions : IValidatableObject
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Dub";

    /// <summary>Largest subtitle document accepted, in UTF-16 characters (413 above).</summary>
    [Range(1, 10_000_000)]
    public int MaxSubtitleCharacters { get; set; } = 200_000;

    /// <summary>Most cues one request may hold (every cue takes one queue slot, so at most <c>F5Tts:Batching:QueueCapacity</c> can ever run).</summary>
    [Range(1, 100_000)]
    public int MaxCues { get; set; } = 200;

    /// <summary>Longest cue, in seconds (one cue is one utterance of the model, so its frame limit also applies).</summary>
    [Range(0.1, 600.0)]
    public double MaxCueSeconds { get; set; } = 30;

    /// <summary>Latest end time of any cue, in seconds: the length of the longest track a request may produce.</summary>
    [Range(1.0, 86_400.0)]
    public double MaxTrackSeconds { get; set; } = 3600;

    /// <summary>
    /// Slowest speaking rate a cue may be given, relative to its voice's own rate (0.5 = half as fast, twice as long).
    /// A cue with too little text for its time is spoken at this rate and followed by silence.
    /// </summary>
    [Range(0.1, 1.0)]
    public double MinRate { get; set; } = 0.5;

    /// <summary>
    /// Fastest speaking rate a cue may be given, relative to its voice's own rate. A cue with too much text for its
    /// time is spoken at this rate and runs past its end.
    /// </summary>
    [Range(1.0, 10.0)]
    public double MaxRate { get; set; } = 2.0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxCueSeconds > MaxTrackSeconds)
        {
            yield return new ValidationResult(
                $"{SectionName}:MaxCueSeconds ({MaxCueSeconds}) must not exceed {SectionName}:MaxTrackSeconds ({MaxTrackSeconds}).",
                [nameof(MaxCueSeconds)]);
        }
    }
}
