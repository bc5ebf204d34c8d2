using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Which model to load (section <c>F5Tts:Model</c>).</summary>
public sealed class ModelOptions
{
    /// <summary>Configuration section path.</summary>
    public const string Section = "F5Tts:Model";

    /// <summary>
    /// Directory holding <c>F5_Preprocess.onnx</c>, <c>F5_Transformer.onnx</c>, <c>F5_Decode.onnx</c> and
    /// <c>vocab.txt</c> (an export made by tools/export or by DakeQQ/F5-TTS-ONNX). A relative path resolves against
    /// the content root (the repository root under <c>dotnet run --project src/Api</c>); after binding this property
    /// holds the absolute path.
    /// </summary>
    [Required]
    public string Directory { get; set; } = "tests/fixtures/models/tiny-v1-batched";

    /// <summary>The files a model directory must contain, whatever its contract (docs/engine.md "Contracts").</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } =
        ["F5_Preprocess.onnx", "F5_Transformer.onnx", "F5_Decode.onnx", "vocab.txt"];
}
