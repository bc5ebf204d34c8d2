using F5Tts.Engines.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// Exact-shape mode of the batched Transformer step (docs/engine.md "Device residency"): the batch's conditioning
/// (cond, cond_drop, lengths) is bound once per <see cref="Pack"/> — ONNX Runtime uploads bound host inputs at bind time
/// and keeps the device copy — and the latents ping-pong between two buffers in the Transformer's memory. Only t (or the
/// items' time table rows), dt and cfg ([B]) are re-bound each step. The buffers are sized for the batch's
/// b × n frames and grow by a quarter beyond the need, so a slowly growing batch does not reallocate at every join.
/// </summary>
internal sealed class DynamicStepBuffers : IStepBuffers
{
    private const int Mels = BatchedContract.Mels;
    private const int FloatSize = sizeof(float);

    private readonly InferenceSession _session;
    private readonly DeviceMemory _memory;
    private readonly TimeModulationTable? _table;
    private readonly ILogger _logger;
    private readonly int _condDim;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;

    // Host-side batch tensors (capacity-sized, viewed at the batch's exact shape).
    private readonly HostBatch _host;
    private readonly NativeBuffer _hostLengths;
    private readonly NativeBuffer _hostT;
    private readonly NativeBuffer _hostDt;
    private readonly NativeBuffer _hostCfg;
    private readonly NativeBuffer _hostIndex;

    // Ping-pong latent buffers in the Transformer's memory.
    private readonly NativeBuffer?[] _ping = new NativeBuffer?[2];

    private readonly List<OrtValue> _views = [];
    private OrtValue? _hostXValue;
    private readonly OrtValue?[] _pingValue = new OrtValue?[2];
    private OrtValue? _tValue, _dtValue, _cfgValue, _indexValue;
    private int _current = -1; // -1: latents in the host x; 0/1: in _ping[i]
    private int _boundTableRows = -1; // the table's RowsComputed when it was last bound
    private bool _disposed;

    public DynamicStepBuffers(StageSession transformer, DeviceMemory memory, int maxBatch, int condDim, ILogger logger, TimeModulationTable? table)
    {
        _session = transformer.Session;
        _memory = memory;
        _table = table;
        _logger = logger;
        _condDim = condDim;
        _host = new HostBatch(condDim);
        _hostLengths = NativeBuffer.AllocateHost(maxBatch * sizeof(long));
        _hostT = NativeBuffer.AllocateHost(maxBatch * sizeof(float));
        _hostDt = NativeBuffer.AllocateHost(maxBatch * sizeof(float));
        _hostCfg = NativeBuffer.AllocateHost(maxBatch * sizeof(float));
        _hostIndex = NativeBuffer.AllocateHost(maxBatch * sizeof(long));
        _binding = _session.CreateIoBinding();
    }

    public string? Mode => null;

    public void Pack(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var b = items.Count;
        var n = MaxFrames(items);
        EnsureCapacity((long)b * n);

        var allLengths = _hostLengths.AsSpan<long>(b);
        for (var i = 0; i < b; i++)
        {
            _host.FillRow(i, b, n, items[i]);
            allLengths[i] = items[i].TotalFrames;
        }

        DisposeViews();
        var condValue = Track(_host.Cond.View<float>(b, n, _condDim));
        var dropValue = Track(_host.CondDrop.View<float>(b, n, _condDim));
        var lengthsValue = Track(_hostLengths.View<long>(b));
        _hostXValue = Track(_host.X.View<float>(b, n, Mels));
        _tValue = Track(_hostT.View<float>(b));
        _dtValue = Track(_hostDt.View<float>(b));
        _cfgValue = Track(_hostCfg.View<float>(b));
        _indexValue = Track(_hostIndex.View<long>(b));
        for (var k = 0; k < 2; k++)
        {
            _pingValue[k] = Track(_ping[k]!.View(TensorElementType.Float, [b, n, Mels], FloatSize));
        }

        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        _binding.BindInput("cond", condValue);
        _binding.BindInput("cond_drop", dropValue);
        _binding.BindInput("lengths", lengthsValue);
        _boundTableRows = -1; // the table is bound at the first step
        _current = -1;
    }

    public void Step(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var b = items.Count;
        HostBatch.WriteStepScalars(items, b, _hostT.AsSpan<float>(b), _hostDt.AsSpan<float>(b), _hostCfg.AsSpan<float>(b));

        // Re-binding uploads the [B] host values to the device (a CPU binding just references them).
        if (_table is not null)
        {
            _table.Lookup(items, _hostIndex.AsSpan<long>(b));
            if (_boundTableRows != _table.RowsComputed)
            {
                // A host table bound to a GPU session was copied at bind time: bind it again once rows changed.
                _binding.BindInput(TimeModulationTable.TableName, _table.Table);
                _boundTableRows = _table.RowsComputed;
            }

            _binding.BindInput(TimeModulationTable.IndexName, _indexValue!);
        }
        else
        {
            _binding.BindInput("t", _tValue!);
        }

        _binding.BindInput("dt", _dtValue!);
        _binding.BindInput("cfg", _cfgValue!);
        var next = _current == 0 ? 1 : 0;
        _binding.BindInput("x", _current < 0 ? _hostXValue! : _pingValue[_current]!);
        _binding.BindOutput("x_next", _pingValue[next]!);
        _session.RunWithBinding(_runOptions, _binding);
        _current = next;
    }

    public void ReadBack(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = MaxFrames(items);
        if (_current >= 0)
        {
            _memory.CopyToHost(_pingValue[_current]!, _hostXValue!);
        }

        _host.CopyLatentsTo(items, items.Count, n);
    }

    private static int MaxFrames(IReadOnlyList<BatchedItem> items)
    {
        var n = 0;
        for (var i = 0; i < items.Count; i++)
        {
            n = Math.Max(n, items[i].TotalFrames);
        }

        return n;
    }

    private void EnsureCapacity(long frames)
    {
        var current = _host.CapacityFrames;
        if (frames <= current)
        {
            return;
        }

        // Grow by a quarter beyond the need so a slowly growing batch does not reallocate at every join.
        var capacity = Math.Max(frames, current + (current / 4));
        DisposeViews();
        _host.Reserve(capacity);
        for (var k = 0; k < 2; k++)
        {
            _ping[k]?.Dispose();
            _ping[k] = _memory.Allocate(capacity * Mels * FloatSize);
        }

        _logger.LogDebug("Batch buffers grown to {Frames} frames ({Residency}).", capacity, _memory.Mode);
    }

    private OrtValue Track(OrtValue value)
    {
        _views.Add(value);
        return value;
    }

    private void DisposeViews()
    {
        if (_views.Count > 0)
        {
            _binding.ClearBoundInputs();
            _binding.ClearBoundOutputs();
        }

        foreach (var v in _views)
        {
            v.Dispose();
        }

        _views.Clear();
        _hostXValue = _tValue = _dtValue = _cfgValue = _indexValue = null;
        _pingValue[0] = _pingValue[1] = null;
        _current = -1;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DisposeViews();
        _binding.Dispose();
        _ping[0]?.Dispose();
        _ping[1]?.Dispose();
        _host.Dispose();
        _hostLengths.Dispose();
        _hostT.Dispose();
        _hostDt.Dispose();
        _hostCfg.Dispose();
        _hostIndex.Dispose();
        _runOptions.Dispose();
    }
}
