using F5Tts.Engines.F5;

namespace F5Tts.Engines.Tests.Support;

/// <summary>
/// A toy model directory with the exact f5tts-batched/1 signature and real ONNX operators (no learned weights): the
/// Transformer is a masked per-frame Euler step whose velocity also depends on the masked mean over valid frames, so
/// a wrong length, wrong padding or a latent taken from the wrong batch row changes the result. Used for engine
/// mechanics (batching, re-packing, residency, cancellation) independently of the exporter's fixtures.
/// With <c>timeTable</c> the directory has the f5ops time interface instead: the Transformer takes <c>time_table</c>
/// [R, 3] + <c>time_index</c> [B] in place of t and reads t as half of column 1 of the item's row, and
/// <c>F5_TimeModulation.onnx</c> writes rows [t, 2t, 3t] — the same results as the plain toy when the right rows are read.
/// </summary>
internal static class ToyBatchedModel
{
    public const int VocabSize = 40;

    public static void Write(string directory, bool timeTable = false)
    {
        var meta = new Dictionary<string, string>
        {
            [ModelContracts.ContractKey] = ModelContracts.Batched,
            ["f5tts.model"] = "toy",
            ["f5tts.precision"] = "fp32",
            ["f5tts.sample_rate"] = "24000",
            ["f5tts.hop_length"] = "256",
            ["f5tts.n_mels"] = "100",
            ["f5tts.vocab_size"] = VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["f5tts.max_frames"] = "1024",
        };
        var condBase = Enumerable.Range(0, 612).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        const int F = TinyOnnx.Float, L = TinyOnnx.Int64;

        new TinyGraph()
            .Input("audio", F, 1, "S").Input("text_ids", TinyOnnx.Int32, 1, "T").Input("total_frames", L, 1)
            .Output("cond", F, 1, "N", 612).Output("cond_drop", F, 1, "N", 612).Output("ref_frames", L, 1)
            .Longs("one", [1], 1).Longs("c612", [612], 1).Longs("c256", [256], 1).Longs("idx1", [1], 1)
            .Longs("zero_s", [0]).Longs("one_s", [1]).Longs("ax1", [1], 1).Longs("ax2", [2], 1).Longs("ax02", [0, 2], 2)
            .Floats("base", condBase, 1, 1, 612).Floats("k001", [0.01f]).Floats("k0001", [0.001f]).Floats("k0002", [0.002f]).Floats("half", [0.5f])
            .Node("Concat", ["one", "total_frames", "c612"], ["shape3"], ("axis", 0L))
            .Node("Expand", ["base", "shape3"], ["b"])
            .Node("ReduceMean", ["audio"], ["am"], ("axes", new long[] { 1 }), ("keepdims", 1L))
            .Node("Unsqueeze", ["am", "ax2"], ["am3"])
            .Node("Cast", ["text_ids"], ["tf"], ("to", (long)F))
            .Node("ReduceMean", ["tf"], ["tm"], ("axes", new long[] { 1 }), ("keepdims", 1L))
            .Node("Unsqueeze", ["tm", "ax2"], ["tm3"])
            .Node("Squeeze", ["total_frames"], ["n_s"])
            .Node("Range", ["zero_s", "n_s", "one_s"], ["pos"])
            .Node("Cast", ["pos"], ["posf"], ("to", (long)F))
            .Node("Unsqueeze", ["posf", "ax02"], ["pos3"])
            .Node("Mul", ["b", "am3"], ["c1"]).Node("Mul", ["tm3", "k001"], ["c2"]).Node("Mul", ["pos3", "k0001"], ["c3"])
            .Node("Add", ["c1", "c2"], ["c12"]).Node("Add", ["c12", "c3"], ["cond"])
            .Node("Mul", ["b", "half"], ["d1"]).Node("Mul", ["pos3", "k0002"], ["d2"]).Node("Add", ["d1", "d2"], ["cond_drop"])
            .Node("Shape", ["audio"], ["ashape"])
            .Node("Gather", ["ashape", "idx1"], ["slen"], ("axis", 0L))
            .Node("Div", ["slen", "c256"], ["sdiv"]).Node("Add", ["sdiv", "one"], ["ref_frames"])
            .Write(Path.Combine(directory, ModelContracts.PreprocessFile), meta);

        var transformer = new TinyGraph()
            .Input("x", F, "B", "N", 100).Input("cond", F, "B", "N", 612).Input("cond_drop", F, "B", "N", 612)
            .Input("lengths", L, "B");
        if (timeTable)
        {
            transformer = transformer.Input("time_table", F, "R", 3).Input("time_index", L, "B")
                .Longs("c1", [1], 1).Longs("c2", [2], 1).Floats("halve", [0.5f])
                .Node("Gather", ["time_table", "time_index"], ["rows"], ("axis", 0L))
                .Node("Slice", ["rows", "c1", "c2", "c1"], ["twice_t"])
                .Node("Mul", ["twice_t", "halve"], ["t_col"])
                .Node("Squeeze", ["t_col", "c1"], ["t"]);
            new TinyGraph()
                .Input("t", F, "R").Output("time_table", F, "R", 3)
                .Longs("ax1", [1], 1).Floats("k123", [1f, 2f, 3f], 1, 3)
                .Node("Unsqueeze", ["t", "ax1"], ["t2"]).Node("Mul", ["t2", "k123"], ["time_table"])
                .Write(Path.Combine(directory, ModelContracts.TimeModulationFile), meta);
        }
        else
        {
            transformer = transformer.Input("t", F, "B");
        }

        transformer.Input("dt", F, "B").Input("cfg", F, "B")
            .Output("x_next", F, "B", "N", 100)
            .Longs("zero_s", [0]).Longs("one_s", [1]).Longs("idx1_s", [1]).Longs("ax0", [0], 1).Longs("ax1", [1], 1).Longs("ax2", [2], 1).Longs("ax12", [1, 2], 2)
            .Floats("half", [0.5f]).Floats("k01", [0.1f])
            .Node("ReduceMean", ["cond"], ["mc"], ("axes", new long[] { 2 }), ("keepdims", 1L))
            .Node("ReduceMean", ["cond_drop"], ["mu"], ("axes", new long[] { 2 }), ("keepdims", 1L))
            .Node("Unsqueeze", ["t", "ax12"], ["t3"]).Node("Unsqueeze", ["dt", "ax12"], ["dt3"]).Node("Unsqueeze", ["cfg", "ax12"], ["cfg3"])
            .Node("Shape", ["x"], ["xs"]).Node("Gather", ["xs", "idx1_s"], ["n_s"], ("axis", 0L))
            .Node("Range", ["zero_s", "n_s", "one_s"], ["pos"]).Node("Unsqueeze", ["pos", "ax0"], ["pos2"])
            .Node("Unsqueeze", ["lengths", "ax1"], ["len2"]).Node("Less", ["pos2", "len2"], ["m"])
            .Node("Cast", ["m"], ["mf"], ("to", (long)F)).Node("Unsqueeze", ["mf", "ax2"], ["mask"])
            .Node("Mul", ["x", "mask"], ["xm"]).Node("ReduceSum", ["xm", "ax1"], ["gs"], ("keepdims", 1L))
            .Node("Cast", ["lengths"], ["lf"], ("to", (long)F)).Node("Unsqueeze", ["lf", "ax12"], ["lf3"])
            .Node("Div", ["gs", "lf3"], ["gm"]).Node("Mul", ["gm", "k01"], ["g"])
            .Node("Mul", ["x", "half"], ["h"])
            .Node("Add", ["h", "mc"], ["a1"]).Node("Add", ["a1", "t3"], ["a2"]).Node("Add", ["a2", "g"], ["a3"]).Node("Tanh", ["a3"], ["vc"])
            .Node("Add", ["h", "mu"], ["b1"]).Node("Add", ["b1", "g"], ["b2"]).Node("Tanh", ["b2"], ["vu"])
            .Node("Sub", ["vc", "vu"], ["dv"]).Node("Mul", ["dv", "cfg3"], ["cdv"]).Node("Add", ["vc", "cdv"], ["v"])
            .Node("Mul", ["v", "dt3"], ["step"]).Node("Add", ["x", "step"], ["xn"]).Node("Mul", ["xn", "mask"], ["x_next"])
            .Write(Path.Combine(directory, ModelContracts.TransformerFile), meta);

        var ramp = Enumerable.Range(0, 256).Select(k => (k + 1) / 256f).ToArray();
        new TinyGraph()
            .Input("mel", F, "B", "T", 100).Input("lengths", L, "B").Output("audio", F, "B", "S")
            .Longs("s1", [1], 1).Longs("big", [long.MaxValue], 1).Longs("ax1", [1], 1).Longs("ax2", [2], 1).Longs("flat", [0, -1], 2)
            .Floats("ramp", ramp, 1, 1, 256)
            .Node("ReduceMean", ["mel"], ["fm"], ("axes", new long[] { 2 }), ("keepdims", 0L))
            .Node("Tanh", ["fm"], ["ft"])
            .Node("Slice", ["ft", "s1", "big", "ax1"], ["fs"])
            .Node("Unsqueeze", ["fs", "ax2"], ["f3"])
            .Node("Mul", ["f3", "ramp"], ["samples"])
            .Node("Reshape", ["samples", "flat"], ["audio"])
            .Write(Path.Combine(directory, ModelContracts.DecodeFile), meta);

        File.WriteAllLines(Path.Combine(directory, ModelContracts.VocabFile), Enumerable.Range(0, VocabSize).Select(i => i == 0 ? " " : "t" + i));
    }
}
