using F5Tts.Engines.F5;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests.Support;

/// <summary>Engine items built from a golden fixture's Preprocess outputs and noise (no Preprocess run).</summary>
internal static class GoldenItems
{
    /// <summary>An item of <paramref name="engine"/> from fixture item <paramref name="name"/>; <paramref name="trim"/>
    /// drops trailing frames to vary the length.</summary>
    public static BatchedItem Create(GoldenData g, BatchedF5Engine engine, string name, int nfe, int trim = 0)
    {
        var total = (int)g.Longs(name + ".total_frames")[0];
        var n = total - trim;
        var condDim = g.Floats(name + ".cond").Length / total;
        return new BatchedItem(
            engine,
            n,
            (int)g.Longs(name + ".ref_frames")[0],
            TimeGrid.Create(nfe, -1f),
            2f,
            1f,
            g.Floats(name + ".cond")[..(n * condDim)],
            g.Floats(name + ".cond_drop")[..(n * condDim)],
            g.Floats(name + ".noise")[..(n * 100)]);
    }
}
