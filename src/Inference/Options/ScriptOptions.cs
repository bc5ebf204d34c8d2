using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Limits of pauses and dialogue in <c>/v1/tts</c> texts, section <c>F5Tts:Script</c> (docs/dub.md).</summary>
public sealed class ScriptOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Script";

    /// <summary>Longest single pause (adjacent pauses add up, each within this).</summary>
    [Range(0.001, 600.0)]
    public double MaxPauseSeconds { get; set; } = 10;

    /// <summary>Most speech segments and pauses one text may hold (every speech segment is at least one queue slot).</summary>
    [Range(1, 10_000)]
    public int MaxItems { get; set; } = 64;

    /// <summary>Longest <c>gap_ms</c> between dialogue turns, in seconds.</summary>
    [Range(0.0, 600.0)]
    public double MaxGapSeconds { get; set; } = 5;
}
