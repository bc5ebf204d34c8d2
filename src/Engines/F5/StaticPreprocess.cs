using System.Collections.Concurrent;
using F5Tts.Engines.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// Static-shape (and CUDA graph) mode of a padded Preprocess (docs/engine.md "Preprocess graphs"). A lone request's
/// Preprocess is ≈ 100 small kernels whose launches cost more than their work (≈ 3.5 ms on an H200 host), so it runs at
/// bucketed shapes — the reference's sample count S (one per voice) and the frame count rounded up to the frame
/// bucket — from buffers allocated once, through one <see cref="OrtIoBinding"/> per bucket and, with CUDA graphs, its own
/// <c>gpu_graph_id</c>, which ONNX Runtime captures after the first runs and then only replays. The padded export makes
/// this exact: each item's rows equal the graph at its own length (docs/export.md "Padded Preprocess").
/// <para>
/// Every run happens on one dedicated thread: ONNX Runtime keeps captured graphs in the CUDA provider's per-thread
/// context, and <see cref="BatchedF5Engine.Prepare"/> may be called from several threads at once (the batcher prepares
/// a cohort in parallel). Calls queue for that thread and wait; with graphs a call is short, so serialising them costs
/// less than the launch work parallel callers used to overlap. A capturing run holds the exclusive side of the
/// <see cref="CaptureGate"/>, every other run (and its copies) the shared side.
/// </para>
/// </summary>
internal sealed class StaticPreprocess : IDisposable
{
    private const int FloatSize = sizeof(float);
    private static readonly string[] InputNames = ["audio", "text_ids", "total_frames"];

    private readonly InferenceSession _session;
    private readonly DeviceMemory _memory;
    private readonly CaptureGate _gate;
    private readonly GraphIdPool _graphIds;
    private readonly int _condDim;
    private readonly int _maxFrames;
    private readonly int _frameBucket;
    private readonly RunOptions _sharedRunOptions = new();
    private readonly List<NativeBuffer> _owned = [];
    private readonly Dictionary<(int Samples, int Frames), PreprocessBucket> _buckets = [];
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    // Capacity buffers in the session's memory (device with CUDA, host on the CPU) and their host staging.
    private readonly NativeBuffer _audio, _ids, _total, _cond, _condDrop, _refFrames;
    private readonly NativeBuffer _hostAudio, _hostIds, _hostTotal;
    private bool _disposed;

    public StaticPreprocess(StageSession pre, DeviceMemory memory, int condDim, int maxFrames, int frameBucket, int maxSamples, int maxGraphs, CaptureGate gate, ILogger logger)
    {
        _session = pre.Session;
        _memory = memory;
        _gate = gate;
        _condDim = condDim;
        _maxFrames = maxFrames;
        _frameBucket = frameBucket;
        MaxSamples = maxSamples;
        CapturesGraphs = pre.CudaGraph && memory.IsDevice;
        _graphIds = new GraphIdPool(maxGraphs, "Preprocess runs", logger);
        if (pre.CudaGraph)
        {
            _sharedRunOptions.AddRunConfigEntry("gpu_graph_id", "-1"); // a run without an id would capture id 0
        }

        var rows = (long)maxFrames * condDim * FloatSize;
        try
        {
            (_audio, _hostAudio) = Pair((long)maxSamples * FloatSize);
            (_ids, _hostIds) = Pair((long)maxFrames * sizeof(int));
            (_total, _hostTotal) = Pair(sizeof(long));
            _cond = Own(_memory.Allocate(rows));
            _condDrop = Own(_memory.Allocate(rows));
            _refFrames = Own(_memory.Allocate(sizeof(long)));
        }
        catch
        {
            Dispose();
            throw;
        }

        _thread = new Thread(Serve) { IsBackground = true, Name = "f5tts-preprocess" };
        _thread.Start();
        Mode = CapturesGraphs ? "static shapes + CUDA graphs" : "static shapes";
        logger.LogInformation(
            "Preprocess {Mode} on its own thread: {Bytes:0.0} MiB of {Memory} buffers for references up to {Samples} samples and {Frames} frames (frame bucket {Bucket}).",
            Mode, (_audio.Bytes + _ids.Bytes + _cond.Bytes + _condDrop.Bytes) / 1048576.0, memory.IsDevice ? "device" : "host", maxSamples, maxFrames, frameBucket);
    }

    /// <summary>"static shapes" or "static shapes + CUDA graphs" (for logs and <c>/v1/models</c>).</summary>
    public string Mode { get; }

    /// <summary>True when runs carry graph ids that ONNX Runtime captures.</summary>
    public bool CapturesGraphs { get; }

    /// <summary>Longest reference (samples) the buffers take; a longer one runs at exact shapes on the same thread.</summary>
    public int MaxSamples { get; }

    /// <summary>Buckets used so far (for tests).</summary>
    internal int BucketCount => _buckets.Count;

    /// <summary>Runs <paramref name="work"/> on the Preprocess thread and returns its result (or throws its exception).</summary>
    public T Invoke<T>(Func<T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });

        // Not cancellable: the run reads the caller's arrays into the staging buffers, and it is a few milliseconds.
        return done.Task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// One item through its bucket: (cond, cond_drop) — its <paramref name="frames"/> rows each — and the reference's mel
    /// frames. Only on the Preprocess thread (<see cref="Invoke"/>); <paramref name="audio"/> at most <see cref="MaxSamples"/>.
    /// </summary>
    public (float[] Cond, float[] CondDrop, int ReferenceFrames) Run(ReadOnlySpan<float> audio, ReadOnlySpan<int> textIds, int frames)
    {
        var bucket = BucketFor(audio.Length, ShapeBuckets.Frames(frames, _frameBucket, _maxFrames));
        audio.CopyTo(_hostAudio.AsSpan<float>(audio.Length));
        var ids = _hostIds.AsSpan<int>(bucket.Frames);
        textIds.CopyTo(ids);
        ids[textIds.Length..].Fill(-1);
        _hostTotal.AsSpan<long>(1)[0] = frames;

        // The copies hold the shared side; a run that may capture trades it for the exclusive one (CaptureGate.Run).
        _gate.EnterShared();
        try
        {
            _memory.Upload(bucket.HostInputs, bucket.Inputs);
            _gate.Run(_session, bucket.Graph, CapturesGraphs);
            return Download(frames);
        }
        finally
        {
            _gate.ExitShared();
        }
    }

    /// <summary>
    /// The item's own rows of cond and cond_drop and the reference frame count, straight into the item's arrays in one
    /// copy call (no staging: the rows past N are never read).
    /// </summary>
    private (float[] Cond, float[] CondDrop, int ReferenceFrames) Download(int frames)
    {
        var size = frames * _condDim;
        var cond = GC.AllocateUninitializedArray<float>(size);
        var condDrop = GC.AllocateUninitializedArray<float>(size);
        var refFrames = new long[1];
        using var condSource = _cond.View(TensorElementType.Float, [size], FloatSize);
        using var condDropSource = _condDrop.View(TensorElementType.Float, [size], FloatSize);
        using var refSource = _refFrames.View(TensorElementType.Int64, [1], sizeof(long));
        using var condTarget = OrtValue.CreateTensorValueFromMemory(cond, [size]);
        using var condDropTarget = OrtValue.CreateTensorValueFromMemory(condDrop, [size]);
        using var refTarget = OrtValue.CreateTensorValueFromMemory(refFrames, [1]);
        _memory.Download([condSource, condDropSource, refSource], [condTarget, condDropTarget, refTarget]);
        return (cond, condDrop, checked((int)refFrames[0]));
    }

    private void Serve()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }

    private (NativeBuffer Target, NativeBuffer Host) Pair(long bytes) =>
        (Own(_memory.Allocate(bytes)), Own(NativeBuffer.AllocateHost(bytes)));

    private NativeBuffer Own(NativeBuffer buffer)
    {
        _owned.Add(buffer);
        return buffer;
    }

    private PreprocessBucket BucketFor(int samples, int frames)
    {
        if (_buckets.TryGetValue((samples, frames), out var bucket))
        {
            return bucket;
        }

        OrtValue Cond(NativeBuffer b) => b.View(TensorElementType.Float, [1, frames, _condDim], FloatSize);
        OrtValue[] inputs =
        [
            _audio.View(TensorElementType.Float, [1, samples], FloatSize),
            _ids.View(TensorElementType.Int32, [1, frames], sizeof(int)),
            _total.View(TensorElementType.Int64, [1], sizeof(long)),
        ];
        OrtValue[] hostInputs =
        [
            _hostAudio.View(TensorElementType.Float, [1, samples], FloatSize),
            _hostIds.View(TensorElementType.Int32, [1, frames], sizeof(int)),
            _hostTotal.View(TensorElementType.Int64, [1], sizeof(long)),
        ];
        OrtValue[] outputs = [Cond(_cond), Cond(_condDrop), _refFrames.View(TensorElementType.Int64, [1], sizeof(long))];

        var binding = _session.CreateIoBinding();
        for (var i = 0; i < InputNames.Length; i++)
        {
            binding.BindInput(InputNames[i], inputs[i]);
        }

        binding.BindOutput("cond", outputs[0]);
        binding.BindOutput("cond_drop", outputs[1]);
        binding.BindOutput("ref_frames", outputs[2]);
        bucket = new PreprocessBucket(frames, inputs, hostInputs, outputs, StaticStepGraph.Create(binding, CapturesGraphs, _graphIds, _sharedRunOptions));
        _buckets.Add((samples, frames), bucket);
        return bucket;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _work.CompleteAdding();
        if (_thread is { IsAlive: true } && _thread != Thread.CurrentThread)
        {
            _thread.Join();
        }

        _work.Dispose();
        foreach (var bucket in _buckets.Values)
        {
            bucket.Dispose();
        }

        _buckets.Clear();
        _sharedRunOptions.Dispose();
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
    }

    /// <summary>One (samples, frames) shape: its views over the capacity buffers and its graph (binding and run options).</summary>
    private sealed class PreprocessBucket(int frames, OrtValue[] inputs, OrtValue[] hostInputs, OrtValue[] outputs, StaticStepGraph graph) : IDisposable
    {
        public int Frames { get; } = frames;

        public OrtValue[] Inputs { get; } = inputs;

        public OrtValue[] HostInputs { get; } = hostInputs;

        public OrtValue[] Outputs { get; } = outputs;

        public StaticStepGraph Graph { get; } = graph;

        public void Dispose()
        {
            Graph.Dispose();
            foreach (var view in Inputs.Concat(HostInputs).Concat(Outputs))
            {
                view.Dispose();
            }
        }
    }
}
