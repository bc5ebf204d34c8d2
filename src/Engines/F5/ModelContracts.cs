using F5Tts.Inference.Health;

namespace F5Tts.Engines.F5;

/// <summary>Names of the model contracts (docs/engine.md "Contracts") and the file layout of a model directory.</summary>
public static class ModelContracts
{
    /// <summary>Upstream DakeQQ/F5-TTS-ONNX exports: batch 1, NFE/CFG/sway baked in (docs/model.md "The dakeqq graphs").</summary>
    public const string Dakeqq = "dakeqq";

    /// <summary>The project's own batched export, sampler on the host (docs/export.md "Contract `f5tts-batched/1`").</summary>
    public const string Batched = "f5tts-batched/1";

    /// <summary>Metadata key that names the contract on every f5tts-batched graph.</summary>
    public const string ContractKey = "f5tts.contract";

    /// <summary>Metadata key of an f5tts-batched export's attention spelling: <c>fused</c> (com.microsoft ops), <c>f5ops</c> (plus the f5tts.ops custom ops) or absent (plain).</summary>
    public const string AttentionKey = "f5tts.attention";

    /// <summary>Metadata key naming the custom-op domain an export needs (<c>f5tts.ops</c> for <c>--attention f5ops</c>).</summary>
    public const string CustomOpsKey = "f5tts.custom_ops";

    // The required files are listed once, with the directory check that uses them.
    public const string PreprocessFile = ModelDirectoryCheck.PreprocessFile;
    public const string TransformerFile = ModelDirectoryCheck.TransformerFile;
    public const string DecodeFile = ModelDirectoryCheck.DecodeFile;

    /// <summary>f5ops exports only: t → the AdaLN modulation rows of the Transformer's time table (docs/engine.md "Time modulation table").</summary>
    public const string TimeModulationFile = "F5_TimeModulation.onnx";
    public const string VocabFile = ModelDirectoryCheck.VocabFile;

    /// <summary>Stage names used in logs, metrics and <c>EngineDescription.ProvidersByStage</c>.</summary>
    public const string PreprocessStage = "preprocess";
    public const string TransformerStage = "transformer";
    public const string DecodeStage = "decode";
    public const string TimeModulationStage = "time-modulation";
}
