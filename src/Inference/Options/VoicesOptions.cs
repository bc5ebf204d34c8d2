using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Voice library settings (section <c>F5Tts:Voices</c>).</summary>
public sealed class VoicesOptions
{
    public const string SectionName = "F5Tts:Voices";

    /// <summary>Where uploaded voices are stored, one folder per voice. Relative paths resolve against the content
    /// root. Must be writable; the read-only <c>default</c> voice is embedded in the service instead.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Directory { get; set; } = "data/voices";

    /// <summary>Most uploaded voices kept (the default voice not counted); further uploads get HTTP 409. Every voice's
    /// conditioned audio stays in memory (24 kHz float: about 1.2 MB for a 12 s clip), so this bounds the cache.</summary>
    [Range(1, 100_000)]
    public int MaxVoices { get; set; } = 256;

    /// <summary>Longest display name in characters.</summary>
    [Range(1, 1000)]
    public int MaxNameLength { get; set; } = 100;

    /// <summary>Longest transcript in characters.</summary>
    [Range(1, 100_000)]
    public int MaxTranscriptLength { get; set; } = 2000;
}
