using Microsoft.Extensions.Options;

namespace F5Tts.Engines.Options;

/// <summary>
/// Cross-field checks of <see cref="EngineOptions"/> that data annotations cannot express (the annotations themselves,
/// nested sections included, are checked by the keyed validator every section is registered with).
/// </summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = new List<string>();

        var trt = options.TensorRt;
        if (trt is not null)
        {
            if (!(trt.MinBatch <= trt.OptBatch && trt.OptBatch <= trt.MaxBatch))
            {
                failures.Add($"{EngineOptions.SectionName}:TensorRt: MinBatch ≤ OptBatch ≤ MaxBatch must hold (got {trt.MinBatch}, {trt.OptBatch}, {trt.MaxBatch}).");
            }

            if (!(trt.MinFrames <= trt.OptFrames && trt.OptFrames <= trt.MaxFrames))
            {
                failures.Add($"{EngineOptions.SectionName}:TensorRt: MinFrames ≤ OptFrames ≤ MaxFrames must hold (got {trt.MinFrames}, {trt.OptFrames}, {trt.MaxFrames}).");
            }
        }

        if (options.DeviceIds.Any(id => id is < 0 or > 63) || options.DeviceIds.Distinct().Count() != options.DeviceIds.Length)
        {
            failures.Add($"{EngineOptions.SectionName}:DeviceIds must list distinct device ordinals from 0 to 63 (got [{string.Join(", ", options.DeviceIds)}]).");
        }

        if (options.TimeTableRows < options.MaxBatchSize)
        {
            failures.Add($"{EngineOptions.SectionName}:TimeTableRows ({options.TimeTableRows}) must be at least MaxBatchSize ({options.MaxBatchSize}): one step needs a row per item.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
