using System.Globalization;
using F5Tts.Engines.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// Static-shape (and CUDA graph) mode of the batched Transformer step (docs/engine.md "CUDA graphs and shape
/// buckets"). Every Transformer input and output lives in one buffer allocated once at full capacity
/// (MaxBatchSize × max frames) in the Transformer's memory, so its address never changes; a batch of b items of at
/// most n frames runs at the bucket shape (<see cref="ShapeBuckets.Batch"/>(b), <see cref="ShapeBuckets.Frames"/>(n))
/// through tensor views over the buffer starts. Each (bucket, ping-pong parity) has its own
/// <see cref="OrtIoBinding"/> bound once and, with CUDA graphs, its own <c>gpu_graph_id</c>: ONNX Runtime runs an id
/// normally at first, then captures it and afterwards only replays the graph — no feed copies, no shape checks — so
/// new values must be written into the same device buffers before each run, which is what <see cref="Pack"/> and
/// <see cref="Step"/> do. Padding rows are zeros with length 1 (never 0: attention over zero keys gives NaN) and
/// t = dt = cfg = 0 (time table row 0), so their x stays 0; they are never read back.
/// The per-step scalars (time table index or t, dt, cfg) share one small buffer, so a step uploads them in one copy:
/// each synchronous host→device copy costs ≈ 10 µs of the GPU idling between two steps.
/// </summary>
internal sealed class StaticStepBuffers : IStepBuffers
{
    private const int Mels = BatchedContract.Mels;
    private const int FloatSize = sizeof(float);

    // The step scalars' layout in floats of [5 × MaxBatchSize]: the int64 time-table index first (8-byte aligned),
    // then t, dt, cfg.
    private const int IndexSection = 0;
    private const int TSection = 2;
    private const int DtSection = 3;
    private const int CfgSection = 4;
    private const int ScalarSections = 5;

    private readonly InferenceSession _session;
    private readonly DeviceMemory _memory;
    private readonly int _maxBatch;
    private readonly int _maxFrames;
    private readonly int _frameBucket;
    private readonly int _condDim;

    // Run options shared by all buckets when graphs are not captured: plain (CPU) or gpu_graph_id = -1 (a session
    // created with enable_cuda_graph whose buffers could not be put on the device: a run without an id would use id 0
    // and capture a graph over host feeds).
    private readonly RunOptions _sharedRunOptions = new();

    // Capacity buffers in the Transformer's memory (device with CUDA, host on CPU). Never regrown.
    private readonly NativeBuffer[] _x = new NativeBuffer[2];
    private readonly NativeBuffer _cond;
    private readonly NativeBuffer _condDrop;
    private readonly NativeBuffer _lengths;
    private readonly NativeBuffer _scalars;

    // Host staging: the step scalars (fixed) and the packing area (grows; host addresses do not matter).
    private readonly NativeBuffer _hostScalars;
    private readonly OrtValue[] _scalarsSource; // one host view of the whole region, as Upload takes it (no per-step array)
    private readonly OrtValue[] _scalarsTarget;
    private readonly TimeModulationTable? _table;
    private readonly NativeBuffer _hostLengths;
    private readonly HostBatch _host;

    private readonly ParallelOptions _packParallelism = new() { MaxDegreeOfParallelism = Math.Min(Environment.ProcessorCount, 8) };
    private readonly List<NativeBuffer> _owned = [];
    private readonly Dictionary<(int Batch, int Frames), StaticBucket> _buckets = [];
    private StaticBucket? _current;
    private int _rows;
    private int _parity; // the latest latents are in _x[_parity]
    private readonly GraphIdPool _graphIds;
    private readonly CaptureGate _gate;
    private bool _disposed;

    public StaticStepBuffers(StageSession transformer, DeviceMemory memory, int maxBatch, int frameBucket, int maxFrames, int condDim, GraphIdPool graphIds, ILogger logger, CaptureGate gate, TimeModulationTable? table = null)
    {
        _session = transformer.Session;
        _table = table;
        _gate = gate;
        _graphIds = graphIds;
        _memory = memory;
        _maxBatch = maxBatch;
        _maxFrames = maxFrames;
        _frameBucket = frameBucket;
        _condDim = condDim;
        _host = new HostBatch(condDim);
        CapturesGraphs = transformer.CudaGraph && memory.IsDevice;
        if (transformer.CudaGraph)
        {
            _sharedRunOptions.AddRunConfigEntry("gpu_graph_id", "-1");
            if (!memory.IsDevice)
            {
                logger.LogWarning("CUDA graphs need the Transformer's buffers in device memory, which is not available (see the residency warning); the Transformer runs without graphs.");
            }
        }

        var capacity = (long)maxBatch * ShapeBuckets.Frames(maxFrames, frameBucket, maxFrames);
        try
        {
            _x[0] = Own(memory.Allocate(checked(capacity * Mels * FloatSize)));
            _x[1] = Own(memory.Allocate(checked(capacity * Mels * FloatSize)));
            _cond = Own(memory.Allocate(checked(capacity * condDim * FloatSize)));
            _condDrop = Own(memory.Allocate(checked(capacity * condDim * FloatSize)));
            _lengths = Own(memory.Allocate(maxBatch * sizeof(long)));
            _scalars = Own(memory.Allocate(ScalarSections * maxBatch * FloatSize));
            _hostScalars = Own(NativeBuffer.AllocateHost(ScalarSections * maxBatch * FloatSize));
            _scalarsSource = [_hostScalars.View<float>(ScalarSections * maxBatch)];
            _scalarsTarget = [_scalars.View(TensorElementType.Float, [ScalarSections * maxBatch], FloatSize)];
            _hostLengths = Own(NativeBuffer.AllocateHost(maxBatch * sizeof(long)));
        }
        catch
        {
            // e.g. out of device memory for a large MaxBatchSize: give back what was allocated.
            Dispose();
            throw;
        }

        var bytes = _x[0].Bytes + _x[1].Bytes + _cond.Bytes + _condDrop.Bytes + _lengths.Bytes + _scalars.Bytes;
        Mode = string.Create(CultureInfo.InvariantCulture, $"static shapes{(CapturesGraphs ? " + CUDA graphs" : string.Empty)} (batch buckets {string.Join(',', BatchBuckets(maxBatch))}; frame bucket {frameBucket})");
        logger.LogInformation(
            "Transformer {Mode}: {Bytes:0.0} MiB of {Memory} buffers allocated once for {Batch} × {Frames} frames.",
            Mode, bytes / 1048576.0, memory.IsDevice ? "device" : "host", maxBatch, capacity / maxBatch);
    }

    /// <summary>True when the steps are captured and replayed as CUDA graphs (device buffers, graph-enabled session).</summary>
    public bool CapturesGraphs { get; }

    /// <summary>Describes the mode for logs, <c>/v1/models</c> and the benchmark.</summary>
    public string? Mode { get; }

    /// <summary>Shape of the current batch's Transformer call (for tests and logs).</summary>
    public (int Batch, int Frames) CurrentBucket => _current is null ? (0, 0) : (_current.Batch, _current.Frames);

    /// <summary>CUDA graph ids handed out so far by the session's pool (two per bucket used: one per ping-pong parity).</summary>
    public int GraphIds => _graphIds.Used;

    /// <summary>The batch buckets of <paramref name="maxBatch"/>: 1, 2, 4, … and <paramref name="maxBatch"/> itself.</summary>
    public static IEnumerable<int> BatchBuckets(int maxBatch)
    {
        for (var b = 1; b < maxBatch; b <<= 1)
        {
            yield return b;
        }

        yield return maxBatch;
    }

    /// <summary>
    /// Packs <paramref name="items"/> at their bucket's layout on the host and uploads cond, cond_drop, x and lengths
    /// into the capacity buffers (one copy call); the latents start in ping buffer 0.
    /// </summary>
    public void Pack(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var b = items.Count;
        var n = 0;
        for (var i = 0; i < b; i++)
        {
            n = Math.Max(n, items[i].TotalFrames);
        }

        var bucket = BucketFor(ShapeBuckets.Batch(b, _maxBatch), ShapeBuckets.Frames(n, _frameBucket, _maxFrames));
        var bb = bucket.Batch;
        var nb = bucket.Frames;
        _host.Reserve((long)bb * nb);
        var lengths = _hostLengths.AsSpan<long>(bb);
        // Each row is written once: the item's frames, then zeros up to the bucket's frames (padding rows: zeros only).
        // At batch 16 a row is ≈ 3.8 MB of conditioning, so the rows are filled in parallel and nothing is cleared twice
        // (this runs at every membership change, between two steps of the running items).
        Parallel.For(0, bb, _packParallelism, i => _host.FillRow(i, bb, nb, i < b ? items[i] : null));
        for (var i = 0; i < b; i++)
        {
            lengths[i] = items[i].TotalFrames;
        }

        // Padding rows: length 1 and t = dt = cfg = 0, time table row 0 (Step writes only the first b scalars).
        lengths[b..].Fill(1);
        _hostScalars.AsSpan<float>(ScalarSections * _maxBatch).Clear();

        using var cond = _host.Cond.View<float>(bb, nb, _condDim);
        using var drop = _host.CondDrop.View<float>(bb, nb, _condDim);
        using var x = _host.X.View<float>(bb, nb, Mels);
        using var len = _hostLengths.View<long>(bb);
        _memory.Upload([cond, drop, x, len], [bucket.Cond, bucket.CondDrop, bucket.X[0], bucket.Lengths]);
        _current = bucket;
        _rows = b;
        _parity = 0;
    }

    /// <summary>
    /// One Transformer call for the packed items: uploads the step scalars (one copy) and runs the bucket's binding of
    /// the current parity (a graph replay once captured). No allocation once the bucket's graphs exist and the time
    /// table holds the items' times.
    /// </summary>
    public void Step(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var bucket = _current ?? throw new InvalidOperationException("Pack the batch before stepping it.");
        if (items.Count != _rows)
        {
            throw new InvalidOperationException("The batch changed without a Pack.");
        }

        var all = _hostScalars.AsSpan<float>(ScalarSections * _maxBatch);
        HostBatch.WriteStepScalars(items, _rows, all.Slice(TSection * _maxBatch, _rows), all.Slice(DtSection * _maxBatch, _rows), all.Slice(CfgSection * _maxBatch, _rows));

        _table?.Lookup(items, _hostScalars.AsSpan<long>(_maxBatch)[.._rows]);
        _memory.Upload(_scalarsSource, _scalarsTarget);
        var graph = bucket.Graphs[_parity] ??= CreateGraph(bucket, _parity);
        // The engine holds the shared side around the step; a run that may capture trades it for the exclusive one.
        _gate.Run(_session, graph, CapturesGraphs);
        _parity ^= 1;
    }

    /// <summary>Copies the latest latents of the packed rows back into <paramref name="items"/> (one device→host copy).</summary>
    public void ReadBack(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var bucket = _current ?? throw new InvalidOperationException("Nothing is packed.");
        var nb = bucket.Frames;
        using (var x = _host.X.View<float>(bucket.Batch, nb, Mels))
        {
            _memory.CopyToHost(bucket.X[_parity], x);
        }

        _host.CopyLatentsTo(items, bucket.Batch, nb);
    }

    private NativeBuffer Own(NativeBuffer buffer)
    {
        _owned.Add(buffer);
        return buffer;
    }

    private StaticBucket BucketFor(int batch, int frames)
    {
        if (!_buckets.TryGetValue((batch, frames), out var bucket))
        {
            OrtValue Dev(NativeBuffer buffer, int dim) => buffer.View(TensorElementType.Float, [batch, frames, dim], FloatSize);
            OrtValue Vec(int section) => _scalars.View(TensorElementType.Float, [batch], FloatSize, (long)section * _maxBatch * FloatSize);
            bucket = new StaticBucket(
                batch,
                frames,
                [Dev(_x[0], Mels), Dev(_x[1], Mels)],
                Dev(_cond, _condDim),
                Dev(_condDrop, _condDim),
                _lengths.View(TensorElementType.Int64, [batch], sizeof(long)),
                [_scalars.View(TensorElementType.Int64, [batch], sizeof(long), IndexSection), Vec(TSection), Vec(DtSection), Vec(CfgSection)]);
            _buckets.Add((batch, frames), bucket);
        }

        return bucket;
    }

    private StaticStepGraph CreateGraph(StaticBucket bucket, int parity)
    {
        var binding = _session.CreateIoBinding();
        // Bound once: every input here is consumed on the Transformer's device (ONNX Runtime would copy an input that
        // a CPU node consumes at bind time, which a CUDA graph could not replay anyway).
        binding.BindInput("x", bucket.X[parity]);
        binding.BindInput("cond", bucket.Cond);
        binding.BindInput("cond_drop", bucket.CondDrop);
        binding.BindInput("lengths", bucket.Lengths);
        if (_table is not null)
        {
            binding.BindInput(TimeModulationTable.TableName, _table.Table);
            binding.BindInput(TimeModulationTable.IndexName, bucket.Scalars[0]);
        }
        else
        {
            binding.BindInput("t", bucket.Scalars[1]);
        }

        binding.BindInput("dt", bucket.Scalars[2]);
        binding.BindInput("cfg", bucket.Scalars[3]);
        binding.BindOutput("x_next", bucket.X[parity ^ 1]);
        // A distinct id per (bucket, parity): the graph's input x and output x_next are different buffers.
        return StaticStepGraph.Create(binding, CapturesGraphs, _graphIds, _sharedRunOptions);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var bucket in _buckets.Values)
        {
            bucket.Dispose();
        }

        _buckets.Clear();
        _sharedRunOptions.Dispose();
        foreach (var view in (_scalarsSource ?? []).Concat(_scalarsTarget ?? []))
        {
            view?.Dispose();
        }
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
        _host.Dispose();
    }
}
