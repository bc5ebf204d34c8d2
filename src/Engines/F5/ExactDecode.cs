using F5Tts.Engines.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.F5;

/// <summary>
/// The batched Decode at the chunk's exact shape: mel [b, longest generated frames, 100] and lengths [b] in host
/// buffers made per call, one <c>Run</c>, ONNX Runtime copying the inputs to the Decode's device and the audio back.
/// It runs every Decode without static shapes, and the chunks longer than <see cref="StaticDecodeBuffers"/> hold
/// (docs/engine.md "CUDA graphs and shape buckets"). On a session created with CUDA graphs every run carries
/// <c>gpu_graph_id</c> = -1: a run without an id would use id 0 and capture a graph over these per-call buffers.
/// </summary>
internal sealed class ExactDecode : IDisposable
{
    private const int Mels = BatchedContract.Mels;
    private const int FloatSize = sizeof(float);

    private readonly InferenceSession _session;
    private readonly int _hop;
    private readonly RunOptions _runOptions = new();

    public ExactDecode(StageSession decode, int hopLength)
    {
        _session = decode.Session;
        _hop = hopLength;
        if (decode.CudaGraph)
        {
            _runOptions.AddRunConfigEntry("gpu_graph_id", "-1");
        }
    }

    /// <summary>Samples of an item of <paramref name="frames"/> generated frames: (frames − 1) · hop, as torch.istft.</summary>
    public static int Samples(int frames, int hopLength) => Math.Max(0, (frames - 1) * hopLength);

    /// <summary>Generated frames of <paramref name="item"/>: the latent rows Decode reads.</summary>
    public static int Generated(BatchedItem item) => item.TotalFrames - item.ReferenceFrames;

    /// <summary>Multiplies <paramref name="pcm"/> by the item's output gain (docs/model.md "Post-processing"), in place.</summary>
    public static void ApplyGain(Span<float> pcm, float gain)
    {
        if (gain == 1f)
        {
            return;
        }

        for (var k = 0; k < pcm.Length; k++)
        {
            pcm[k] *= gain;
        }
    }

    /// <summary>Decodes <paramref name="items"/> (at most the engine's MaxBatchSize) in one run; one array per item.</summary>
    public List<float[]> Decode(IReadOnlyList<BatchedItem> items)
    {
        var b = items.Count;
        var t = 0;
        for (var i = 0; i < b; i++)
        {
            t = Math.Max(t, Generated(items[i]));
        }

        using var melBuffer = NativeBuffer.AllocateHost((long)b * t * Mels * FloatSize);
        using var lengthsBuffer = NativeBuffer.AllocateHost(b * sizeof(long));
        var mel = melBuffer.AsSpan<float>(b * t * Mels);
        var lengths = lengthsBuffer.AsSpan<long>(b);
        for (var i = 0; i < b; i++)
        {
            var item = items[i];
            var gen = Generated(item);
            lengths[i] = gen;
            item.Latent.AsSpan(item.ReferenceFrames * Mels, gen * Mels).CopyTo(mel[(i * t * Mels)..]);
        }

        using var melValue = melBuffer.View<float>(b, t, Mels);
        using var lengthsValue = lengthsBuffer.View<long>(b);
        using var outputs = _session.Run(_runOptions, ["mel", "lengths"], [melValue, lengthsValue], ["audio"]);
        var audio = outputs[0].GetTensorDataAsSpan<float>();
        var stride = (int)outputs[0].GetTensorTypeAndShape().Shape[1];
        var list = new List<float[]>(b);
        for (var i = 0; i < b; i++)
        {
            var samples = Math.Min(Samples((int)lengths[i], _hop), stride);
            var pcm = audio.Slice(i * stride, samples).ToArray();
            ApplyGain(pcm, items[i].OutputGain);
            list.Add(pcm);
        }

        return list;
    }

    public void Dispose() => _runOptions.Dispose();
}
