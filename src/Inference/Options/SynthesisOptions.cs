using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Per-request sampler defaults and the bounds requests are validated against (section <c>F5Tts:Synthesis</c>).</summary>
public sealed class SynthesisOptions : IValidatableObject
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Synthesis";

    /// <summary>Euler steps when a request names none (upstream default 32).</summary>
    [Range(1, 128)]
    public int DefaultNfeSteps { get; set; } = 32;

    /// <summary>Largest <c>nfe_steps</c> a request may ask for.</summary>
    [Range(1, 128)]
    public int MaxNfeSteps { get; set; } = 64;

    /// <summary>Classifier-free guidance strength when a request names none (upstream 2.0).</summary>
    [Range(0.0, 10.0)]
    public float DefaultCfgStrength { get; set; } = 2f;

    /// <summary>Largest <c>cfg_strength</c> a request may ask for.</summary>
    [Range(0.0, 20.0)]
    public float MaxCfgStrength { get; set; } = 10f;

    /// <summary>Sway sampling coefficient when a request names none (upstream −1).</summary>
    [Range(-1.0, 1.0)]
    public float DefaultSway { get; set; } = -1f;

    /// <summary>Speaking-rate multiplier when a request names none.</summary>
    [Range(0.25, 4.0)]
    public float DefaultSpeed { get; set; } = 1f;

    /// <summary>Smallest speed a request may ask for.</summary>
    [Range(0.1, 1.0)]
    public float MinSpeed { get; set; } = 0.25f;

    /// <summary>Largest speed a request may ask for.</summary>
    [Range(1.0, 10.0)]
    public float MaxSpeed { get; set; } = 4f;

    /// <summary>Default voice id when a request names neither a voice nor an inline reference.</summary>
    [Required]
    public string DefaultVoice { get; set; } = "default";

    /// <summary>Cross-fade between the chunks of a long text, in seconds (upstream 0.15; 0 concatenates).</summary>
    [Range(0.0, 2.0)]
    public double CrossFadeSeconds { get; set; } = 0.15;

    /// <summary>
    /// Whole (non-streamed) responses also split off the short first chunk that streaming uses for an early first audio
    /// (<c>F5Tts:Text:FirstChunkMaxBytes</c>), so that the same request streamed and whole gives the same audio (within
    /// 1 LSB). Off by default: for a whole response the extra chunk buys nothing and costs one more Preprocess, the
    /// reference's frames run through the Transformer once more, and a batch of two instead of one (on an H200 a short
    /// sentence took 204 ms at 32 steps in two chunks, benchmarks/results/2026-11-25-h200-service-f5ops.json).
    /// </summary>
    public bool ShortFirstChunkForWholeResponses { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultNfeSteps > MaxNfeSteps)
        {
            yield return new ValidationResult(
                $"{SectionName}:DefaultNfeSteps ({DefaultNfeSteps}) must not exceed {SectionName}:MaxNfeSteps ({MaxNfeSteps}).",
                [nameof(DefaultNfeSteps)]);
        }

        if (DefaultSpeed < MinSpeed || DefaultSpeed > MaxSpeed)
        {
            yield return new ValidationResult(
                $"{SectionName}:DefaultSpeed ({DefaultSpeed}) must lie within MinSpeed..MaxSpeed ({MinSpeed}..{MaxSpeed}).",
                [nameof(DefaultSpeed)]);
        }

        if (DefaultCfgStrength > MaxCfgStrength)
        {
            yield return new ValidationResult(
                $"{SectionName}:DefaultCfgStrength ({DefaultCfgStrength}) must not exceed {SectionName}:MaxCfgStrength ({MaxCfgStrength}).",
                [nameof(DefaultCfgStrength)]);
        }
    }
}
