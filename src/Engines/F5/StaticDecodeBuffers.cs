using System.Globalization;
using F5Tts.Engines.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// Static-shape (and CUDA graph) mode of the batched Decode (docs/engine.md "CUDA graphs and shape buckets"), the
/// counterpart of <see cref="StaticStepBuffers"/>. A chunk of b items whose longest has t generated frames runs at
/// (<see cref="ShapeBuckets.Batch"/>(b), <see cref="ShapeBuckets.Frames"/>(t)) from buffers allocated once in the
/// Decode's memory for MaxBatchSize × <see cref="CapacityFrames"/> (<c>Cuda:DecodeGraphMaxFrames</c> rounded up to a
/// frame bucket): lengths and mel share one input buffer, so a call uploads them in one copy, and audio has one output
/// buffer. Their addresses never change; each bucket has tensor views over the buffer starts and one
/// <see cref="OrtIoBinding"/> bound once and, with CUDA graphs, its own <c>gpu_graph_id</c> from this session's
/// <see cref="GraphIdPool"/>: ONNX Runtime runs the id normally at first, then captures it and afterwards replays it.
/// Chunks longer than <see cref="CapacityFrames"/> are not taken (<see cref="Fits"/>) and run at exact shapes.
/// The graph is exact under padding: <c>decode_masked</c> zeroes frames ≥ lengths[b] before every convolution and
/// leaves them out of the ISTFT, so padded frames are written as zeros, padding rows as zeros with length 1 (their
/// audio is all 0, never NaN), and only each item's first (gen − 1)·hop samples are read back.
/// </summary>
internal sealed class StaticDecodeBuffers : IDisposable
{
    private const int Mels = BatchedContract.Mels;
    private const int FloatSize = sizeof(float);

    private readonly InferenceSession _session;
    private readonly DeviceMemory _memory;
    private readonly CaptureGate _gate;
    private readonly GraphIdPool _graphIds;
    private readonly int _maxBatch;
    private readonly int _frameBucket;
    private readonly int _hop;

    // Bytes before the mel section of the input buffers: MaxBatchSize int64 lengths, rounded up to 256 bytes so that
    // mel starts as aligned as ONNX Runtime's own allocations.
    private readonly long _melOffset;

    // Run options of buckets without their own graph id: plain (CPU), or gpu_graph_id = -1 on a graph-enabled session
    // (past MaxCudaGraphs): a run without an id would use id 0 and capture.
    private readonly RunOptions _sharedRunOptions = new();

    private readonly NativeBuffer _input;     // [lengths | mel] in the Decode's memory (device with CUDA, host on CPU)
    private readonly NativeBuffer _audio;     // [MaxBatchSize × (CapacityFrames − 1)·hop] in the Decode's memory
    private readonly NativeBuffer _hostInput; // host staging of _input, same layout
    private readonly List<NativeBuffer> _owned = [];
    private readonly Dictionary<(int Batch, int Frames), StaticDecodeBucket> _buckets = [];
    private bool _disposed;

    /// <param name="decode">The Decode session (with CUDA graphs when <see cref="StageSession.CudaGraph"/>).</param>
    /// <param name="memory">Its memory: device on a GPU Decode (the caller checks), host on the CPU.</param>
    /// <param name="maxBatch">MaxBatchSize: the largest chunk.</param>
    /// <param name="frameBucket">FrameBucket: padded frames are a multiple of it.</param>
    /// <param name="graphMaxFrames">Cuda:DecodeGraphMaxFrames.</param>
    /// <param name="maxFrames">The model's <c>f5tts.max_frames</c>.</param>
    /// <param name="hopLength">Samples per frame.</param>
    /// <param name="maxGraphs">Cuda:MaxCudaGraphs, the cap of this session's graph ids.</param>
    /// <param name="gate">The process's capture gate.</param>
    /// <param name="logger">Receives the buffer size and the cap's warning.</param>
    public StaticDecodeBuffers(StageSession decode, DeviceMemory memory, int maxBatch, int frameBucket, int graphMaxFrames, int maxFrames, int hopLength, int maxGraphs, CaptureGate gate, ILogger logger)
    {
        _session = decode.Session;
        _memory = memory;
        _gate = gate;
        _graphIds = new GraphIdPool(maxGraphs, "Decode calls", logger);
        _maxBatch = maxBatch;
        _frameBucket = frameBucket;
        _hop = hopLength;
        CapturesGraphs = decode.CudaGraph && memory.IsDevice;
        if (decode.CudaGraph)
        {
            _sharedRunOptions.AddRunConfigEntry("gpu_graph_id", "-1");
        }

        CapacityFrames = ShapeBuckets.Frames(Math.Min(graphMaxFrames, maxFrames), frameBucket, maxFrames);
        _melOffset = (maxBatch * sizeof(long) + 255L) / 256 * 256;
        var inputBytes = _melOffset + (long)maxBatch * CapacityFrames * Mels * FloatSize;
        try
        {
            _input = Own(memory.Allocate(inputBytes));
            _audio = Own(memory.Allocate((long)maxBatch * ExactDecode.Samples(CapacityFrames, hopLength) * FloatSize));
            _hostInput = Own(NativeBuffer.AllocateHost(inputBytes));
        }
        catch
        {
            // e.g. out of device memory: give back what was allocated.
            Dispose();
            throw;
        }

        Mode = string.Create(CultureInfo.InvariantCulture, $"static shapes{(CapturesGraphs ? " + CUDA graphs" : string.Empty)} (batch buckets {string.Join(',', StaticStepBuffers.BatchBuckets(maxBatch))}; frame bucket {frameBucket}; up to {CapacityFrames} frames)");
        logger.LogInformation(
            "Decode {Mode}: {Bytes:0.0} MiB of {Memory} buffers allocated once for {Batch} × {Frames} frames; longer decodes run at exact shapes.",
            Mode, (_input.Bytes + _audio.Bytes) / 1048576.0, memory.IsDevice ? "device" : "host", maxBatch, CapacityFrames);
    }

    /// <summary>True when the buckets are captured and replayed as CUDA graphs (device buffers, graph-enabled session).</summary>
    public bool CapturesGraphs { get; }

    /// <summary>Describes the mode for logs and <c>/v1/models</c>.</summary>
    public string Mode { get; }

    /// <summary>Most generated frames of a chunk this takes: the bucket of <c>Cuda:DecodeGraphMaxFrames</c>.</summary>
    public int CapacityFrames { get; }

    /// <summary>Shape of the latest bucketed Decode call (for tests and logs).</summary>
    public (int Batch, int Frames) LastBucket { get; private set; }

    /// <summary>Bucketed Decode calls so far (for tests).</summary>
    public long Calls { get; private set; }

    /// <summary>CUDA graph ids handed out so far by the Decode session's pool (one per bucket used).</summary>
    public int GraphIds => _graphIds.Used;

    /// <summary>Row <paramref name="row"/> of the latest bucketed call's audio, every sample of the bucket (tests; host memory only).</summary>
    public float[] LastAudioRow(int row)
    {
        var samples = ExactDecode.Samples(LastBucket.Frames, _hop);
        return _audio.AsSpan<float>(samples, (long)row * samples * FloatSize).ToArray();
    }

    /// <summary>
    /// Whether the chunk runs here: its longest item has at most <see cref="CapacityFrames"/> generated frames, and its
    /// bucket at least 2 (a bucket of 1 frame has no audio samples to bind).
    /// </summary>
    public bool Fits(IReadOnlyList<BatchedItem> items)
    {
        var t = LongestGenerated(items);
        return items.Count is > 0 && items.Count <= _maxBatch && t is >= 1 && t <= CapacityFrames
            && ShapeBuckets.Frames(t, _frameBucket, CapacityFrames) >= 2;
    }

    /// <summary>
    /// Decodes a chunk that <see cref="Fits"/>: stages and uploads its mel and lengths (one copy), runs the bucket's
    /// binding (a graph replay once captured) and reads back each item's samples into its own array (one copy call).
    /// </summary>
    public List<float[]> Decode(IReadOnlyList<BatchedItem> items)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Fits(items))
        {
            throw new ArgumentException("The chunk does not fit the static Decode buffers.", nameof(items));
        }

        var t = LongestGenerated(items);
        var bucket = BucketFor(ShapeBuckets.Batch(items.Count, _maxBatch), ShapeBuckets.Frames(t, _frameBucket, CapacityFrames));
        Stage(items, bucket);
        _memory.Upload(bucket.UploadSource, bucket.UploadTarget);
        var graph = bucket.Graph ??= CreateGraph(bucket);
        // The engine holds the shared side of the gate around Decode; a run that may capture trades it for the exclusive one.
        _gate.Run(_session, graph, CapturesGraphs);
        LastBucket = (bucket.Batch, bucket.Frames);
        Calls++;
        return ReadBack(items, bucket);
    }

    private static int LongestGenerated(IReadOnlyList<BatchedItem> items)
    {
        var t = 0;
        for (var i = 0; i < items.Count; i++)
        {
            t = Math.Max(t, ExactDecode.Generated(items[i]));
        }

        return t;
    }

    /// <summary>
    /// Writes the bucket's lengths and mel into the host staging: each item's generated latent rows then zeros up to the
    /// bucket's frames; padding rows all zeros with length 1. Every row of the bucket is written, so nothing of an
    /// earlier call remains (the graph masks padded frames, but zeros also keep a stale NaN from reaching x · mask).
    /// </summary>
    private void Stage(IReadOnlyList<BatchedItem> items, StaticDecodeBucket bucket)
    {
        var b = items.Count;
        var row = bucket.Frames * Mels;
        var lengths = _hostInput.AsSpan<long>(bucket.Batch);
        var mel = _hostInput.AsSpan<float>(bucket.Batch * row, _melOffset);
        for (var i = 0; i < b; i++)
        {
            var item = items[i];
            var gen = ExactDecode.Generated(item);
            lengths[i] = gen;
            var target = mel.Slice(i * row, row);
            item.Latent.AsSpan(item.ReferenceFrames * Mels, gen * Mels).CopyTo(target);
            target[(gen * Mels)..].Clear();
        }

        lengths[b..].Fill(1);
        mel[(b * row)..].Clear();
    }

    /// <summary>Each item's first (gen − 1)·hop samples of its bucket row, into a new array each, times its output gain.</summary>
    private List<float[]> ReadBack(IReadOnlyList<BatchedItem> items, StaticDecodeBucket bucket)
    {
        var stride = (long)ExactDecode.Samples(bucket.Frames, _hop);
        var result = new List<float[]>(items.Count);
        var copies = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var pcm = new float[ExactDecode.Samples(ExactDecode.Generated(items[i]), _hop)];
            result.Add(pcm);
            copies += pcm.Length > 0 ? 1 : 0;
        }

        var sources = new OrtValue[copies];
        var targets = new OrtValue[copies];
        try
        {
            for (int i = 0, k = 0; i < items.Count; i++)
            {
                var pcm = result[i];
                if (pcm.Length > 0)
                {
                    sources[k] = _audio.View(TensorElementType.Float, [pcm.Length], FloatSize, i * stride * FloatSize);
                    targets[k++] = OrtValue.CreateTensorValueFromMemory(pcm, [pcm.Length]);
                }
            }

            if (copies > 0)
            {
                _memory.Download(sources, targets);
            }
        }
        finally
        {
            foreach (var view in sources.Concat(targets))
            {
                view?.Dispose();
            }
        }

        for (var i = 0; i < items.Count; i++)
        {
            ExactDecode.ApplyGain(result[i], items[i].OutputGain);
        }

        return result;
    }

    private NativeBuffer Own(NativeBuffer buffer)
    {
        _owned.Add(buffer);
        return buffer;
    }

    private StaticDecodeBucket BucketFor(int batch, int frames)
    {
        if (!_buckets.TryGetValue((batch, frames), out var bucket))
        {
            // The upload covers the lengths section and the bucket's mel: one float view of the same bytes on both sides.
            var uploadFloats = _melOffset / FloatSize + (long)batch * frames * Mels;
            bucket = new StaticDecodeBucket(
                batch,
                frames,
                _input.View(TensorElementType.Float, [batch, frames, Mels], FloatSize, _melOffset),
                _input.View(TensorElementType.Int64, [batch], sizeof(long)),
                _audio.View(TensorElementType.Float, [batch, ExactDecode.Samples(frames, _hop)], FloatSize),
                [_hostInput.View(TensorElementType.Float, [uploadFloats], FloatSize)],
                [_input.View(TensorElementType.Float, [uploadFloats], FloatSize)]);
            _buckets.Add((batch, frames), bucket);
        }

        return bucket;
    }

    private StaticStepGraph CreateGraph(StaticDecodeBucket bucket)
    {
        // Bound once: mel and lengths are consumed on the Decode's device (ONNX Runtime would copy an input that a CPU
        // node consumes at bind time, which a replay could not see), and audio is written in place.
        var binding = _session.CreateIoBinding();
        binding.BindInput("mel", bucket.Mel);
        binding.BindInput("lengths", bucket.Lengths);
        binding.BindOutput("audio", bucket.Audio);
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
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
    }
}

/// <summary>One shape bucket of <see cref="StaticDecodeBuffers"/>: its tensor views over the capacity buffers and its binding.</summary>
internal sealed class StaticDecodeBucket(int batch, int frames, OrtValue mel, OrtValue lengths, OrtValue audio, OrtValue[] uploadSource, OrtValue[] uploadTarget) : IDisposable
{
    public int Batch { get; } = batch;

    public int Frames { get; } = frames;

    /// <summary>mel [Batch, Frames, 100] after the lengths section of the input buffer.</summary>
    public OrtValue Mel { get; } = mel;

    /// <summary>lengths [Batch] (int64) at the start of the input buffer.</summary>
    public OrtValue Lengths { get; } = lengths;

    /// <summary>audio [Batch, (Frames − 1)·hop] over the output buffer.</summary>
    public OrtValue Audio { get; } = audio;

    /// <summary>The host staging of lengths and mel as one float view (the upload's source, cached: no per-call array).</summary>
    public OrtValue[] UploadSource { get; } = uploadSource;

    /// <summary>The same bytes of the input buffer.</summary>
    public OrtValue[] UploadTarget { get; } = uploadTarget;

    public StaticStepGraph? Graph { get; set; }

    public void Dispose()
    {
        Graph?.Dispose();
        foreach (var view in UploadSource.Concat(UploadTarget).Append(Mel).Append(Lengths).Append(Audio))
        {
            view.Dispose();
        }
    }
}
