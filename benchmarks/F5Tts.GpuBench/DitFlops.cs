using System.Text.Json;

namespace F5Tts.GpuBench;

/// <summary>DiT dimensions, read from the export's <c>export.json</c> ("dit" object); F5TTS_v1_Base when absent.</summary>
internal sealed record DitDims(string Name, int Dim, int Depth, int Heads, int DimHead, int FfMult, int TextDim, int MelDim,
    int ConvKernel, int ConvGroups, int FreqEmbedDim)
{
    public static DitDims V1Base { get; } = new("F5TTS_v1_Base", 1024, 22, 16, 64, 2, 512, 100, 31, 16, 256);

    public static DitDims Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "export.json");
        if (!File.Exists(path))
        {
            return V1Base;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (!doc.RootElement.TryGetProperty("dit", out var d))
        {
            return V1Base;
        }

        int Get(string key, int fallback) => d.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        return new DitDims(
            d.TryGetProperty("name", out var n) ? n.GetString() ?? "?" : "?",
            Get("dim", 1024), Get("depth", 22), Get("heads", 16), Get("dim_head", 64), Get("ff_mult", 2), Get("text_dim", 512),
            Get("mel_dim", 100), Get("conv_pos_kernel", 31), Get("conv_pos_groups", 16), Get("freq_embed_dim", 256));
    }
}

/// <summary>
/// Analytic FLOP count of one Transformer call (both CFG branches: 2B rows × N frames), multiply-add = 2 FLOPs,
/// matrix products and convolutions only (element-wise work, norms and softmax are not counted). See
/// docs/benchmarks.md ("FLOP model").
/// </summary>
internal static class DitFlops
{
    /// <summary>Returns (total, attention QKᵀ part) FLOPs of one call with <paramref name="batch"/> items of
    /// <paramref name="frames"/> frames (no padding).</summary>
    public static (double Total, double QkT) PerCall(DitDims m, int batch, int frames)
    {
        double r = 2.0 * batch; // cond + uncond rows
        double n = frames;
        double d = m.Dim;
        double inner = (double)m.Heads * m.DimHead;
        double tokens = r * n;

        // Input embedding: proj(x ‖ cond) and two grouped position convolutions.
        var inputProj = tokens * ((2 * m.MelDim) + m.TextDim) * d * 2;
        var convPos = 2 * tokens * d * (d / m.ConvGroups) * m.ConvKernel * 2;

        // Time MLP (per item, once per call) and the per-row AdaLN projections.
        var time = batch * ((m.FreqEmbedDim * d) + (d * d)) * 2;
        var adaLn = m.Depth * r * d * 6 * d * 2 + (r * d * 2 * d * 2);

        // Per block: q, k, v, out projections; QKᵀ and P·V; feed-forward (two matrices D×ff·D).
        var proj = tokens * (3 * d * inner + inner * d) * 2;
        var qk = r * n * n * inner * 2;
        var pv = r * n * n * inner * 2;
        var ffn = tokens * 2 * d * (m.FfMult * d) * 2;
        var blocks = m.Depth * (proj + qk + pv + ffn);

        var final = tokens * d * m.MelDim * 2;
        return (inputProj + convPos + time + adaLn + blocks + final, m.Depth * qk);
    }
}
