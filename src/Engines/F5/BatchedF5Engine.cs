using System.Globalization;
using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// The <c>f5tts-batched/1</c> contract (docs/export.md "Contract `f5tts-batched/1`"): Preprocess per request, one Transformer call per Euler step over
/// a batch of items that may be at different steps (the sampler runs on the host), batched Decode.
/// Residency (docs/engine.md): each item keeps its conditioning and latent on the host; the batch's conditioning
/// (cond, cond_drop, lengths) is bound once per batch membership — ONNX Runtime uploads bound host inputs at bind time
/// and keeps the device copy — and the latents ping-pong between two preallocated buffers on the Transformer's device.
/// Only t (or the items' time table rows), dt and cfg ([B]) are re-bound each step. When membership changes the latents
/// are read back once and
/// the batch is re-packed. Callers should keep the item order stable between steps: any change of the ordered list
/// counts as a membership change.
/// With <see cref="EngineOptions.StaticShapes"/> or CUDA graphs the Transformer calls run at bucketed shapes from
/// buffers allocated once instead (<see cref="StaticStepBuffers"/>, docs/engine.md "CUDA graphs and shape buckets").
/// </summary>
internal sealed class BatchedF5Engine : ITtsEngine
{
    private const int Mels = 100;
    private const int FloatSize = sizeof(float);

    private readonly StageSession _pre;
    private readonly StageSession _tr;
    private readonly StageSession _dec;
    private readonly DeviceMemory _memory;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly RunOptions _runOptions = new();
    private readonly RunOptions _prepareRunOptions = new(); // Prepare's own: it may run on the preparation thread
    private readonly CaptureGate _gate = new();
    private readonly OrtIoBinding _binding;
    private readonly int _condDim;
    private readonly int _maxFrames;
    private readonly int _vocabSize;

    // Host-side batch tensors (capacity-sized, viewed at the batch's exact shape).
    private NativeBuffer? _hostCond;
    private NativeBuffer? _hostCondDrop;
    private NativeBuffer? _hostX;
    private readonly NativeBuffer _hostLengths;
    private readonly NativeBuffer _hostT;
    private readonly NativeBuffer _hostDt;
    private readonly NativeBuffer _hostCfg;
    private readonly NativeBuffer _hostIndex;
    private readonly TimeModulationTable? _table;

    // Ping-pong latent buffers in the Transformer's memory.
    private readonly NativeBuffer?[] _ping = new NativeBuffer?[2];
    private long _capacityFrames;

    private readonly List<OrtValue> _views = [];
    private OrtValue? _hostXValue;
    private readonly OrtValue?[] _pingValue = new OrtValue?[2];
    private OrtValue? _tValue, _dtValue, _cfgValue, _indexValue;
    private int _current = -1; // -1: latents in _hostX; 0/1: in _ping[i]
    private int _boundTableRows = -1; // the table's RowsComputed when it was last bound
    private bool _latentsAhead; // the batch buffers hold newer latents than the items
    private readonly List<BatchedItem> _members = [];
    private readonly StaticStepBuffers? _static;
    private bool _disposed;

    /// <summary>
    /// Takes ownership of the sessions, <paramref name="memory"/> and <paramref name="table"/> (the time modulation table
    /// of an f5ops export, whose Transformer takes <c>time_table</c>; null for other exports).
    /// </summary>
    public BatchedF5Engine(StageSession pre, StageSession transformer, StageSession decode, DeviceMemory memory, EngineOptions options, int vocabSize, ILogger logger, TimeModulationTable? table = null)
    {
        _table = table;
        _pre = pre;
        _tr = transformer;
        _dec = decode;
        _memory = memory;
        _options = options;
        _logger = logger;
        _vocabSize = vocabSize;

        Validate();
        _condDim = CondDimOf(pre);

        var meta = _pre.Metadata;
        _maxFrames = meta.TryGetValue("f5tts.max_frames", out var mf) && int.TryParse(mf, NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? m : 4096;
        _hostLengths = NativeBuffer.AllocateHost(options.MaxBatchSize * sizeof(long));
        _hostT = NativeBuffer.AllocateHost(options.MaxBatchSize * sizeof(float));
        _hostDt = NativeBuffer.AllocateHost(options.MaxBatchSize * sizeof(float));
        _hostCfg = NativeBuffer.AllocateHost(options.MaxBatchSize * sizeof(float));
        _hostIndex = NativeBuffer.AllocateHost(options.MaxBatchSize * sizeof(long));
        _binding = _tr.Session.CreateIoBinding();
        if (options.StaticShapes || transformer.CudaGraph)
        {
            _static = new StaticStepBuffers(transformer, memory, options.MaxBatchSize, options.FrameBucket, _maxFrames, _condDim, options.Cuda.MaxCudaGraphs, logger, _gate, table);
        }

        Description = new EngineDescription(
            Model: meta.GetValueOrDefault("f5tts.model", "unknown"),
            Contract: ModelContracts.Batched,
            Precision: meta.GetValueOrDefault("f5tts.precision", "fp32"),
            SampleRate: ParseOr(meta, "f5tts.sample_rate", 24000),
            HopLength: ParseOr(meta, "f5tts.hop_length", 256),
            MaxFrames: _maxFrames,
            MaxBatchSize: options.MaxBatchSize,
            SupportsBatching: true,
            FixedNfeSteps: null,
            ProvidersByStage: new Dictionary<string, string>
            {
                [ModelContracts.PreprocessStage] = pre.ProvidersText,
                [ModelContracts.TransformerStage] = _static is null ? transformer.ProvidersText : $"{transformer.ProvidersText} ({_static.Mode})",
                [ModelContracts.DecodeStage] = decode.ProvidersText,
            });
    }

    public EngineDescription Description { get; }

    /// <summary>
    /// True: <see cref="Prepare"/> touches only the Preprocess session, its own run options and per-call buffers (the
    /// item's arrays live on the host until the worker packs them), so it may run beside <see cref="RunStep"/> and
    /// <see cref="Decode"/>; a Transformer run that may capture a CUDA graph waits for it (<see cref="CaptureGate"/>).
    /// </summary>
    public bool ConcurrentPrepare => true;

    /// <summary>The gate between Preprocess and CUDA graph captures (for tests).</summary>
    internal CaptureGate Gate => _gate;

    /// <summary>Residency mode of the latents (for logs and tests).</summary>
    internal string ResidencyMode => _static is null ? _memory.Mode : $"{_memory.Mode}; {_static.Mode}";

    /// <summary>The static-shape mode, null when the Transformer runs at exact shapes (for tests and the smoke tool).</summary>
    internal StaticStepBuffers? StaticMode => _static;

    /// <summary>The time modulation table of an f5ops export, else null (for tests and the benchmark).</summary>
    internal TimeModulationTable? TimeTable => _table;

    /// <summary>The TensorRT profile of the Transformer's dynamic inputs; the graph's B is the request batch.</summary>
    internal static TrtProfile TrtProfileFor(TensorRtOptions trt, int condDim)
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
    internal static int CondDimOf(StageSession pre)
    {
        if (pre.Session.OutputMetadata.TryGetValue("cond", out var m) && m.Dimensions.Length == 3 && m.Dimensions[2] > Mels)
        {
            return m.Dimensions[2];
        }

        return pre.Metadata.TryGetValue("f5tts.text_dim", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t > 0
            ? Mels + t
            : 612;
    }

    public void WarmUp(CancellationToken cancellationToken)
    {
        var frames = Math.Min(_options.WarmUpFrames, _maxFrames);
        var items = new List<IEngineItem>();
        try
        {
            foreach (var n in new[] { frames, Math.Max(frames * 3 / 4, 16) })
            {
                items.Add(Prepare(WarmUpInput.Create(n, _vocabSize, Description.HopLength), cancellationToken));
            }

            RunStep(items, cancellationToken);
            Decode(items, cancellationToken);
        }
        finally
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }

        _logger.LogInformation("Warm-up done: preprocess, transformer (batch 2, N ≤ {Frames}) and decode ran once.", frames);
    }

    public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        cancellationToken.ThrowIfCancellationRequested();
        var n = input.TotalFrames;
        EngineInputChecks.Check(input, _maxFrames, _vocabSize);
        var grid = TimeGrid.For(input.Sampler);

        using var audioBuffer = NativeBuffer.HostCopy<float>(input.ReferenceAudio);
        using var idsBuffer = NativeBuffer.HostCopy<int>(input.TextIds);
        using var totalBuffer = NativeBuffer.HostCopy<long>([n]);
        using var audio = audioBuffer.View<float>(1, input.ReferenceAudio.Length);
        using var ids = idsBuffer.View<int>(1, input.TextIds.Length);
        using var total = totalBuffer.View<long>(1);
        using var outputs = RunPreprocess(audio, ids, total);

        var condSize = n * _condDim;
        var cond = GC.AllocateUninitializedArray<float>(condSize);
        var condDrop = GC.AllocateUninitializedArray<float>(condSize);
        outputs[0].GetTensorDataAsSpan<float>()[..condSize].CopyTo(cond);
        outputs[1].GetTensorDataAsSpan<float>()[..condSize].CopyTo(condDrop);
        var refFrames = checked((int)outputs[2].GetTensorDataAsSpan<long>()[0]);
        if (refFrames >= n)
        {
            throw new ArgumentException($"TotalFrames ({n}) must exceed the reference's {refFrames} mel frames.", nameof(input));
        }

        var latent = new float[n * Mels];
        if (input.InitialNoise is { } noise)
        {
            noise.AsSpan(0, latent.Length).CopyTo(latent);
        }
        else
        {
            new GaussianNoise(input.Sampler.Seed ?? Random.Shared.NextInt64()).Fill(latent);
        }

        return new BatchedItem(this, n, refFrames, grid, input.Sampler.CfgStrength, input.OutputGain, cond, condDrop, latent);
    }

    private IDisposableReadOnlyCollection<OrtValue> RunPreprocess(OrtValue audio, OrtValue ids, OrtValue total)
    {
        // Shared side of the gate: a Transformer run that may capture a CUDA graph waits until this run ended.
        _gate.EnterShared();
        try
        {
            return _pre.Session.Run(_prepareRunOptions, ["audio", "text_ids", "total_frames"], [audio, ids, total], ["cond", "cond_drop", "ref_frames"]);
        }
        finally
        {
            _gate.ExitShared();
        }
    }

    public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(items);
        cancellationToken.ThrowIfCancellationRequested();
        if (items.Count == 0)
        {
            return;
        }

        if (items.Count > _options.MaxBatchSize)
        {
            throw new ArgumentException($"A step takes at most {_options.MaxBatchSize} items (got {items.Count}).", nameof(items));
        }

        // Index loops: RunStep is the per-step hot path and must not allocate (no boxed enumerators).
        for (var i = 0; i < items.Count; i++)
        {
            if (Own(items[i]).IsComplete)
            {
                throw new ArgumentException("A complete item cannot take another step.", nameof(items));
            }
        }

        if (!SameMembers(items))
        {
            Repack(items);
        }

        if (_static is not null)
        {
            _static.Step(_members);
            AfterStep();
            return;
        }

        var b = _members.Count;
        var ts = _hostT.AsSpan<float>(b);
        var dts = _hostDt.AsSpan<float>(b);
        var cfgs = _hostCfg.AsSpan<float>(b);
        for (var i = 0; i < b; i++)
        {
            var item = _members[i];
            ts[i] = item.Grid.TimeAt(item.StepsDone);
            dts[i] = item.Grid.DeltaAt(item.StepsDone);
            cfgs[i] = item.Cfg;
        }

        // Re-binding uploads the [B] host values to the device (a CPU binding just references them).
        if (_table is not null)
        {
            _table.Lookup(_members, _hostIndex.AsSpan<long>(b));
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
        _tr.Session.RunWithBinding(_runOptions, _binding);
        _current = next;
        AfterStep();
    }

    private void AfterStep()
    {
        _latentsAhead = true;
        for (var i = 0; i < _members.Count; i++)
        {
            _members[i].StepsDone++;
        }
    }

    public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(items);
        cancellationToken.ThrowIfCancellationRequested();
        var own = items.Select(Own).ToList();
        if (own.Any(_members.Contains))
        {
            SyncLatentsToItems();
        }

        var result = new List<float[]>(own.Count);
        for (var start = 0; start < own.Count; start += _options.MaxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.AddRange(DecodeChunk(own.GetRange(start, Math.Min(_options.MaxBatchSize, own.Count - start))));
        }

        return result;
    }

    private List<float[]> DecodeChunk(List<BatchedItem> items)
    {
        var b = items.Count;
        var t = items.Max(i => i.TotalFrames - i.ReferenceFrames);
        using var melBuffer = NativeBuffer.AllocateHost((long)b * t * Mels * FloatSize);
        using var lengthsBuffer = NativeBuffer.AllocateHost(b * sizeof(long));
        var mel = melBuffer.AsSpan<float>(b * t * Mels);
        var lengths = lengthsBuffer.AsSpan<long>(b);
        for (var i = 0; i < b; i++)
        {
            var item = items[i];
            var gen = item.TotalFrames - item.ReferenceFrames;
            lengths[i] = gen;
            item.Latent.AsSpan(item.ReferenceFrames * Mels, gen * Mels).CopyTo(mel[(i * t * Mels)..]);
        }

        using var melValue = melBuffer.View<float>(b, t, Mels);
        using var lengthsValue = lengthsBuffer.View<long>(b);
        using var outputs = _dec.Session.Run(_runOptions, ["mel", "lengths"], [melValue, lengthsValue], ["audio"]);
        var audio = outputs[0].GetTensorDataAsSpan<float>();
        var stride = (int)outputs[0].GetTensorTypeAndShape().Shape[1];
        var hop = Description.HopLength;
        var list = new List<float[]>(b);
        for (var i = 0; i < b; i++)
        {
            var samples = Math.Max(0, ((int)lengths[i] - 1) * hop);
            samples = Math.Min(samples, stride);
            var pcm = audio.Slice(i * stride, samples).ToArray();
            var gain = items[i].OutputGain;
            if (gain != 1f)
            {
                for (var k = 0; k < pcm.Length; k++)
                {
                    pcm[k] *= gain;
                }
            }

            list.Add(pcm);
        }

        return list;
    }

    private bool SameMembers(IReadOnlyList<IEngineItem> items)
    {
        if (items.Count != _members.Count)
        {
            return false;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (!ReferenceEquals(items[i], _members[i]) || _members[i].IsDisposed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the batch's latest latents back into the member items (one device→host copy).</summary>
    private void SyncLatentsToItems()
    {
        if (!_latentsAhead || _members.Count == 0)
        {
            return;
        }

        if (_static is not null)
        {
            _static.ReadBack(_members);
            _latentsAhead = false;
            return;
        }

        var b = _members.Count;
        var n = _members.Max(i => i.TotalFrames);
        if (_current >= 0)
        {
            _memory.CopyToHost(_pingValue[_current]!, _hostXValue!);
        }

        for (var i = 0; i < b; i++)
        {
            var item = _members[i];
            _hostX!.AsSpan<float>(b * n * Mels).Slice(i * n * Mels, item.TotalFrames * Mels).CopyTo(item.Latent);
        }

        _latentsAhead = false;
    }

    private void Repack(IReadOnlyList<IEngineItem> items)
    {
        var own = items.Select(Own).ToList();
        if (own.Distinct().Count() != own.Count)
        {
            throw new ArgumentException("An item appears twice in one step.", nameof(items));
        }

        SyncLatentsToItems();
        if (_static is not null)
        {
            _static.Pack(own);
            _members.Clear();
            _members.AddRange(own);
            _latentsAhead = false;
            return;
        }

        var b = own.Count;
        var n = own.Max(i => i.TotalFrames);
        EnsureCapacity((long)b * n);

        var allCond = _hostCond!.AsSpan<float>(b * n * _condDim);
        var allDrop = _hostCondDrop!.AsSpan<float>(b * n * _condDim);
        var allX = _hostX!.AsSpan<float>(b * n * Mels);
        var allLengths = _hostLengths.AsSpan<long>(b);
        for (var i = 0; i < b; i++)
        {
            var item = own[i];
            var rowCond = allCond.Slice(i * n * _condDim, n * _condDim);
            var rowDrop = allDrop.Slice(i * n * _condDim, n * _condDim);
            var rowX = allX.Slice(i * n * Mels, n * Mels);
            item.Cond.CopyTo(rowCond);
            item.CondDrop.CopyTo(rowDrop);
            item.Latent.CopyTo(rowX);
            rowCond[item.Cond.Length..].Clear();
            rowDrop[item.CondDrop.Length..].Clear();
            rowX[item.Latent.Length..].Clear();
            allLengths[i] = item.TotalFrames;
        }

        DisposeViews();
        var condValue = Track(_hostCond.View<float>(b, n, _condDim));
        var dropValue = Track(_hostCondDrop.View<float>(b, n, _condDim));
        var lengthsValue = Track(_hostLengths.View<long>(b));
        _hostXValue = Track(_hostX.View<float>(b, n, Mels));
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

        _members.Clear();
        _members.AddRange(own);
        _current = -1;
        _latentsAhead = false;
    }

    private void EnsureCapacity(long frames)
    {
        if (frames <= _capacityFrames)
        {
            return;
        }

        // Grow by a quarter beyond the need so a slowly growing batch does not reallocate at every join.
        var capacity = Math.Max(frames, _capacityFrames + (_capacityFrames / 4));
        DisposeViews();
        _hostCond?.Dispose();
        _hostCondDrop?.Dispose();
        _hostX?.Dispose();
        _hostCond = NativeBuffer.AllocateHost(checked(capacity * _condDim * FloatSize));
        _hostCondDrop = NativeBuffer.AllocateHost(checked(capacity * _condDim * FloatSize));
        _hostX = NativeBuffer.AllocateHost(checked(capacity * Mels * FloatSize));
        for (var k = 0; k < 2; k++)
        {
            _ping[k]?.Dispose();
            _ping[k] = _memory.Allocate(capacity * Mels * FloatSize);
        }

        _capacityFrames = capacity;
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
        _members.Clear();
        _current = -1;
        _latentsAhead = false;
    }

    private BatchedItem Own(IEngineItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item is not BatchedItem own || !ReferenceEquals(own.Engine, this))
        {
            throw new ArgumentException("The item was not prepared by this engine.", nameof(item));
        }

        ObjectDisposedException.ThrowIf(own.IsDisposed, own);
        return own;
    }

    private void Validate()
    {
        OnnxTtsEngineFactory.Require(_pre, _pre.Metadata.GetValueOrDefault(ModelContracts.ContractKey) == ModelContracts.Batched, "metadata f5tts.contract is not f5tts-batched/1");
        OnnxTtsEngineFactory.Require(_tr, _tr.Metadata.GetValueOrDefault(ModelContracts.ContractKey) == ModelContracts.Batched, "metadata f5tts.contract is not f5tts-batched/1 (the three graphs must come from one export)");
        OnnxTtsEngineFactory.Require(_dec, _dec.Metadata.GetValueOrDefault(ModelContracts.ContractKey) == ModelContracts.Batched, "metadata f5tts.contract is not f5tts-batched/1 (the three graphs must come from one export)");
        RequireInputs(_pre, ("audio", TensorElementType.Float), ("text_ids", TensorElementType.Int32), ("total_frames", TensorElementType.Int64));
        RequireOutputs(_pre, ("cond", TensorElementType.Float), ("cond_drop", TensorElementType.Float), ("ref_frames", TensorElementType.Int64));
        RequireInputs(_tr, ("x", TensorElementType.Float), ("cond", TensorElementType.Float), ("cond_drop", TensorElementType.Float), ("lengths", TensorElementType.Int64), ("dt", TensorElementType.Float), ("cfg", TensorElementType.Float));
        if (_table is null)
        {
            RequireInputs(_tr, ("t", TensorElementType.Float)); // f5ops exports take their time table's rows instead
        }
        RequireOutputs(_tr, ("x_next", TensorElementType.Float));
        RequireInputs(_dec, ("mel", TensorElementType.Float), ("lengths", TensorElementType.Int64));
        RequireOutputs(_dec, ("audio", TensorElementType.Float));
    }

    private static void RequireInputs(StageSession s, params (string Name, TensorElementType Type)[] expected)
    {
        foreach (var (name, type) in expected)
        {
            OnnxTtsEngineFactory.Require(s, s.Session.InputMetadata.TryGetValue(name, out var m) && m.IsTensor && m.ElementDataType == type, $"input '{name}' ({type}) required by {ModelContracts.Batched} is missing or of another type");
        }
    }

    private static void RequireOutputs(StageSession s, params (string Name, TensorElementType Type)[] expected)
    {
        foreach (var (name, type) in expected)
        {
            OnnxTtsEngineFactory.Require(s, s.Session.OutputMetadata.TryGetValue(name, out var m) && m.IsTensor && m.ElementDataType == type, $"output '{name}' ({type}) required by {ModelContracts.Batched} is missing or of another type");
        }
    }

    private static int ParseOr(IReadOnlyDictionary<string, string> meta, string key, int fallback) =>
        meta.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _static?.Dispose();
        DisposeViews();
        _table?.Dispose();
        _binding.Dispose();
        _ping[0]?.Dispose();
        _ping[1]?.Dispose();
        _hostCond?.Dispose();
        _hostCondDrop?.Dispose();
        _hostX?.Dispose();
        _hostLengths.Dispose();
        _hostT.Dispose();
        _hostDt.Dispose();
        _hostCfg.Dispose();
        _hostIndex.Dispose();
        _runOptions.Dispose();
        _prepareRunOptions.Dispose();
        _gate.Dispose();
        _memory.Dispose();
        _pre.Dispose();
        _tr.Dispose();
        _dec.Dispose();
    }

    /// <summary>One request inside the batched engine; its conditioning and latent live on the host.</summary>
    internal sealed class BatchedItem : IEngineItem
    {
        public BatchedItem(BatchedF5Engine engine, int totalFrames, int referenceFrames, TimeGrid grid, float cfg, float outputGain, float[] cond, float[] condDrop, float[] latent)
        {
            Engine = engine;
            TotalFrames = totalFrames;
            ReferenceFrames = referenceFrames;
            Grid = grid;
            Cfg = cfg;
            OutputGain = outputGain;
            Cond = cond;
            CondDrop = condDrop;
            Latent = latent;
        }

        public BatchedF5Engine Engine { get; }

        public int TotalFrames { get; }

        public int ReferenceFrames { get; }

        public int StepsDone { get; set; }

        public int StepsTotal => Grid.Steps;

        public bool IsComplete => StepsDone >= StepsTotal;

        public TimeGrid Grid { get; }

        public float Cfg { get; }

        public float OutputGain { get; }

        public float[] Cond { get; }

        public float[] CondDrop { get; }

        /// <summary>x [N × 100]; behind the batch buffers while the item is a member that has stepped.</summary>
        public float[] Latent { get; }

        public bool IsDisposed { get; private set; }

        public void Dispose() => IsDisposed = true;
    }
}
