using System.Globalization;
using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// What the <c>f5tts-batched/1</c> graphs must look like and the facts read from their metadata: the inputs and
/// outputs <see cref="BatchedF5Engine"/> binds by name, the width of the conditioning, the longest sequence and the
/// TensorRT profile of the Transformer.
/// </summary>
internal static class BatchedContract
{
    /// <summary>n_mels: the last axis of a latent x.</summary>
    public const int Mels = 100;

    /// <summary>Throws a <see cref="ModelLoadException"/> naming the graph when one of the three does not match.</summary>
    public static void Validate(StageSession pre, StageSession transformer, StageSession decode, bool timeTable)
    {
        const string sameExport = " (the three graphs must come from one export)";
        RequireContract(pre, string.Empty);
        RequireContract(transformer, sameExport);
        RequireContract(decode, sameExport);
        Require(pre, inputs: true, ("audio", TensorElementType.Float), ("text_ids", TensorElementType.Int32), ("total_frames", TensorElementType.Int64));
        Require(pre, inputs: false, ("cond", TensorElementType.Float), ("cond_drop", TensorElementType.Float), ("ref_frames", TensorElementType.Int64));
        Require(transformer, inputs: true, ("x", TensorElementType.Float), ("cond", TensorElementType.Float), ("cond_drop", TensorElementType.Float), ("lengths", TensorElementType.Int64), ("dt", TensorElementType.Float), ("cfg", TensorElementType.Float));
        if (!timeTable)
        {
            Require(transformer, inputs: true, ("t", TensorElementType.Float)); // f5ops exports take their time table's rows instead
        }

        Require(transformer, inputs: false, ("x_next", TensorElementType.Float));
        Require(decode, inputs: true, ("mel", TensorElementType.Float), ("lengths", TensorElementType.Int64));
        Require(decode, inputs: false, ("audio", TensorElementType.Float));
    }

    /// <summary>The TensorRT profile of the Transformer's dynamic inputs; the graph's B is the request batch.</summary>
    public static TrtProfile TrtProfileFor(TensorRtOptions trt, int condDim)
    {
        var d = condDim.ToString(CultureInfo.InvariantCulture);
        return TrtProfile.Build(
        [
            ("x", ["B", "N", "100"]),
            ("cond", ["B", "N", d]),
            ("cond_drop", ["B", "N", d]),
            ("lengths", ["B"]),
            ("t", ["B"]),
            ("dt", ["B"]),
            ("cfg", ["B"]),
        ],
        trt);
    }

    /// <summary>
    /// Width of the conditioning (mel + text embedding): the static last axis of Preprocess's <c>cond</c> output where the
    /// graph declares one, else n_mels + <c>f5tts.text_dim</c> from the export's metadata (exports since the text blocks
    /// run as one batch leave that axis symbolic), else F5-TTS's 612.
    /// </summary>
    public static int CondDimOf(StageSession pre)
    {
        if (pre.Session.OutputMetadata.TryGetValue("cond", out var m) && m.Dimensions.Length == 3 && m.Dimensions[2] > Mels)
        {
            return m.Dimensions[2];
        }

        return pre.Metadata.TryGetValue("f5tts.text_dim", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t > 0
            ? Mels + t
            : 612;
    }

    /// <summary>
    /// True when Preprocess takes its text ids padded by -1 to the frame count it returns (metadata
    /// <c>f5tts.preprocess=padded</c>, exporter version 2 on; docs/export.md "Padded Preprocess"): rows past
    /// <c>total_frames</c> come out 0 and each item's own rows as at its length, so a caller may pad to a bucket. Older
    /// exports take the ids at their length and return <c>total_frames</c> rows.
    /// </summary>
    public static bool PaddedPreprocess(StageSession pre) =>
        pre.Metadata.GetValueOrDefault("f5tts.preprocess") == "padded";

    /// <summary>An integer of the export's metadata, or <paramref name="fallback"/> when absent or not a number.</summary>
    public static int ParseOr(IReadOnlyDictionary<string, string> meta, string key, int fallback) =>
        meta.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    private static void RequireContract(StageSession stage, string hint) =>
        OnnxTtsEngineFactory.Require(stage, stage.Metadata.GetValueOrDefault(ModelContracts.ContractKey) == ModelContracts.Batched, $"metadata f5tts.contract is not f5tts-batched/1{hint}");

    private static void Require(StageSession s, bool inputs, params (string Name, TensorElementType Type)[] expected)
    {
        var metadata = inputs ? s.Session.InputMetadata : s.Session.OutputMetadata;
        var kind = inputs ? "input" : "output";
        foreach (var (name, type) in expected)
        {
            OnnxTtsEngineFactory.Require(s, metadata.TryGetValue(name, out var m) && m.IsTensor && m.ElementDataType == type, $"{kind} '{name}' ({type}) required by {ModelContracts.Batched} is missing or of another type");
        }
    }
}
