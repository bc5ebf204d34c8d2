using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>
/// The real-time WebSocket route <c>/v1/tts/ws</c> (section <c>F5Tts:Realtime</c>, docs/realtime.md): how text that
/// arrives piece by piece is cut into segments, and the limits of one session.
/// </summary>
public sealed class RealtimeOptions : IValidatableObject
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Realtime";

    /// <summary>Open sessions at most; one more is closed with 1013 (try again later).</summary>
    [Range(1, 100_000)]
    public int MaxSessions { get; set; } = 64;

    /// <summary>Largest client message in bytes; a larger one is answered with an error and close code 1009.</summary>
    [Range(256, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Most text characters (UTF-16) one session may send in all.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessionCharacters { get; set; } = 20_000;

    /// <summary>A session whose client sent nothing for this long while no audio was being made is closed.</summary>
    [Range(1, 86_400)]
    public int IdleTimeoutSeconds { get; set; } = 60;

    /// <summary>Longest session from the upgrade to its close.</summary>
    [Range(1, 86_400)]
    public int MaxSessionSeconds { get; set; } = 3_600;

    /// <summary>The first segment ends at the first sentence or clause end at or after this many UTF-8 bytes.</summary>
    [Range(1, 10_000)]
    public int FirstSegmentMinBytes { get; set; } = 12;

    /// <summary>The first segment is cut at a word boundary once this many bytes wait without a sentence or clause end.</summary>
    [Range(1, 10_000)]
    public int FirstSegmentMaxBytes { get; set; } = 60;

    /// <summary>Later segments end at a sentence end at or after this many bytes (shorter ones sound choppy).</summary>
    [Range(1, 10_000)]
    public int MinSegmentBytes { get; set; } = 80;

    /// <summary>Later segments are cut at a clause end, else a word boundary, once this many bytes wait without a sentence end.</summary>
    [Range(1, 10_000)]
    public int MaxSegmentBytes { get; set; } = 300;

    /// <summary>
    /// Text that waited this long without forming a segment is spoken up to its last complete word, so a slow producer
    /// still hears audio. 0 waits for a sentence end, a flush or the end.
    /// </summary>
    [Range(0, 600_000)]
    public int MaxWaitMilliseconds { get; set; } = 1_500;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FirstSegmentMinBytes > FirstSegmentMaxBytes)
        {
            yield return new ValidationResult(
                $"{SectionName}:FirstSegmentMinBytes ({FirstSegmentMinBytes}) must not exceed {SectionName}:FirstSegmentMaxBytes ({FirstSegmentMaxBytes}).",
                [nameof(FirstSegmentMinBytes)]);
        }

        if (MinSegmentBytes > MaxSegmentBytes)
        {
            yield return new ValidationResult(
                $"{SectionName}:MinSegmentBytes ({MinSegmentBytes}) must not exceed {SectionName}:MaxSegmentBytes ({MaxSegmentBytes}).",
                [nameof(MinSegmentBytes)]);
        }
    }
}
