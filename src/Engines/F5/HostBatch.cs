using F5Tts.Engines.Onnx;

namespace F5Tts.Engines.F5;

/// <summary>
/// Host staging of a packed batch, shared by both kinds of <see cref="IStepBuffers"/>: cond, cond_drop and x laid out
/// row-major as [rows, frames, dim] in 64-byte-aligned host memory. The buffers only grow; host addresses do not matter
/// to ONNX Runtime or to CUDA graphs (the device copies are what a graph reads).
/// </summary>
internal sealed class HostBatch(int condDim) : IDisposable
{
    private const int Mels = BatchedContract.Mels;
    private const int FloatSize = sizeof(float);

    private NativeBuffer? _cond;
    private NativeBuffer? _condDrop;
    private NativeBuffer? _x;

    /// <summary>Frames (rows × frames of a layout) the buffers hold.</summary>
    public long CapacityFrames { get; private set; }

    public NativeBuffer Cond => _cond ?? throw new InvalidOperationException("Reserve before use.");

    public NativeBuffer CondDrop => _condDrop ?? throw new InvalidOperationException("Reserve before use.");

    public NativeBuffer X => _x ?? throw new InvalidOperationException("Reserve before use.");

    /// <summary>Reallocates the buffers at exactly <paramref name="frames"/> when they hold fewer.</summary>
    public void Reserve(long frames)
    {
        if (frames <= CapacityFrames)
        {
            return;
        }

        _cond?.Dispose();
        _condDrop?.Dispose();
        _x?.Dispose();
        _cond = NativeBuffer.AllocateHost(checked(frames * condDim * FloatSize));
        _condDrop = NativeBuffer.AllocateHost(checked(frames * condDim * FloatSize));
        _x = NativeBuffer.AllocateHost(checked(frames * Mels * FloatSize));
        CapacityFrames = frames;
    }

    /// <summary>
    /// Writes row <paramref name="row"/> of a [<paramref name="rows"/>, <paramref name="frames"/>] layout once: the
    /// item's frames, then zeros up to <paramref name="frames"/> (a padding row, <paramref name="item"/> null: zeros only).
    /// Rows are disjoint, so they may be written in parallel.
    /// </summary>
    public void FillRow(int row, int rows, int frames, BatchedItem? item)
    {
        Fill(Cond.AsSpan<float>(rows * frames * condDim).Slice(row * frames * condDim, frames * condDim), item?.Cond);
        Fill(CondDrop.AsSpan<float>(rows * frames * condDim).Slice(row * frames * condDim, frames * condDim), item?.CondDrop);
        Fill(X.AsSpan<float>(rows * frames * Mels).Slice(row * frames * Mels, frames * Mels), item?.Latent);
    }

    /// <summary>Copies each item's latent out of the first rows of the [<paramref name="rows"/>, <paramref name="frames"/>] x.</summary>
    public void CopyLatentsTo(IReadOnlyList<BatchedItem> items, int rows, int frames)
    {
        var all = X.AsSpan<float>(rows * frames * Mels);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            all.Slice(i * frames * Mels, item.TotalFrames * Mels).CopyTo(item.Latent);
        }
    }

    /// <summary>The step's t, dt and cfg of each item (index loop: the per-step hot path must not allocate).</summary>
    public static void WriteStepScalars(IReadOnlyList<BatchedItem> items, int count, Span<float> ts, Span<float> dts, Span<float> cfgs)
    {
        for (var i = 0; i < count; i++)
        {
            var item = items[i];
            ts[i] = item.Grid.TimeAt(item.StepsDone);
            dts[i] = item.Grid.DeltaAt(item.StepsDone);
            cfgs[i] = item.Cfg;
        }
    }

    public void Dispose()
    {
        _cond?.Dispose();
        _condDrop?.Dispose();
        _x?.Dispose();
        _cond = _condDrop = _x = null;
        CapacityFrames = 0;
    }

    private static void Fill(Span<float> row, float[]? values)
    {
        var n = values?.Length ?? 0;
        values?.CopyTo(row);
        row[n..].Clear();
    }
}
