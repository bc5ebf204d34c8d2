using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Options;

/// <summary>Reference-audio limits and output encoding settings (section <c>F5Tts:Audio</c>).</summary>
public sealed class AudioOptions
{
    public const string SectionName = "F5Tts:Audio";

    /// <summary>Largest accepted reference upload in bytes (HTTP 413 above). Default 10 MiB.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxReferenceBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>
    /// Longest accepted reference clip in seconds after leading/trailing silence is trimmed. Longer clips are refused,
    /// never cut: cutting the audio but not its transcript makes the model speak garbage. Upstream uses 12 s.
    /// </summary>
    [Range(1.0, 60.0)]
    public double MaxReferenceSeconds { get; set; } = 12;

    /// <summary>Shortest accepted reference clip in seconds after silence trimming.</summary>
    [Range(0.1, 10.0)]
    public double MinReferenceSeconds { get; set; } = 0.5;

    /// <summary>Opus target bitrate in bit/s for <c>format=opus</c> responses.</summary>
    [Range(6_000, 510_000)]
    public int OpusBitrate { get; set; } = 32_000;

    /// <summary>Opus encoder complexity 0–10: lower is cheaper on the CPU (Concentus is managed code) at a small
    /// quality cost.</summary>
    [Range(0, 10)]
    public int OpusComplexity { get; set; } = 10;
}

/// <summary>Cross-field checks that data annotations cannot express.</summary>
internal sealed class AudioOptionsValidator : IValidateOptions<AudioOptions>
{
    public ValidateOptionsResult Validate(string? name, AudioOptions options) =>
        options.MinReferenceSeconds >= options.MaxReferenceSeconds
            ? ValidateOptionsResult.Fail(
                $"{AudioOptions.SectionName}:MinReferenceSeconds ({options.MinReferenceSeconds}) must be below " +
                $"{AudioOptions.SectionName}:MaxReferenceSeconds ({options.MaxReferenceSeconds}).")
            : ValidateOptionsResult.Success;
}
