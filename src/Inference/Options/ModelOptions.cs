using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Which model to load (section <c>F5Tts:Model</c>).</summary>
public sealed class ModelOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Model";

    /// <summary>
    /// Directory holding <c>F5_Preprocess.onnx</c>, <c>F5_Transformer.onnx</c>, <c>F5_Decode.onnx</c> and
    /// <c>vocab.txt</c> (an export made by tools/export or by DakeQQ/F5-TTS-ONNX; checked by
    /// <see cref="Health.ModelDirectoryCheck"/>). A relative path resolves against the content root (the repository root
    /// under <c>dotnet run --project src/Api</c>); after binding this property holds the absolute path.
    /// </summary>
    [Required]
    public string Directory { get; set; } = "tests/fixtures/models/tiny-v1-batched";
}
