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
/// The <c>f5tts-batched/1</c> contract: Preprocess per request, one Transformer call per Euler step over a batch of items
/// that may be at different steps (the sampler runs on the host), batched Decode — at exact shapes
/// (<see cref="ExactDecode"/>) or, with static shapes or Decode graphs, bucketed from buffers allocated once
/// (<see cref="StaticDecodeBuffers"/>) for chunks up to <c>Cuda:DecodeGraphMaxFrames</c>.
/// Each item keeps its conditioning and latent on the host (<see cref="BatchedItem"/>); the batch's tensors live in the
/// engine's <see cref="IStepBuffers"/>: <see cref="DynamicStepBuffers"/> (exact shapes) or, with
/// <see cref="EngineOptions.StaticShapes"/> or CUDA graphs, <see cref="StaticStepBuffers"/> (bucketed shapes from buffers
/// allocated once; docs/engine.md "CUDA graphs and shape buckets"). Up to two batches stay packed at once, each in its own
/// buffers (<see cref="StepLanes"/>), so a worker alternating between a running batch and a batch of first chunks does
/// not re-pack either. When a batch's membership changes its latents are read back once and it is re-packed. Callers
/// should keep the item order stable between steps: any change of the ordered list counts as a membership change.
/// <para>
/// Ownership and disposal (docs/engine.md "Ownership and disposal"): <see cref="OnnxTtsEngineFactory"/> creates the
/// three <see cref="StageSession"/>s, the Transformer's <see cref="DeviceMemory"/>, the Decode's (only for static
/// shapes or Decode graphs) and the <see cref="TimeModulationTable"/>, and hands them to this engine, disposing them
/// itself only when construction fails. From then on the engine owns them and the step and decode buffers it creates;
/// the host (the DI container's singleton, or the tool that called the factory) owns the engine and disposes it after
/// the last step. <see cref="Dispose"/> releases in reverse order of dependence: the step buffers and the decode
/// buffers (tensor views and bindings, then their device and host buffers), the time table, the run options and the
/// gate, the device memories' allocators (every device buffer is gone by then), and last the sessions. Items own no
/// native memory.
/// </para>
/// </summary>
internal sealed class BatchedF5Engine : ITtsEngine
{
    private const int Mels = BatchedContract.Mels;

    private readonly StageSession _pre;
    private readonly StageSession _tr;
    private readonly StageSession _dec;
    private readonly DeviceMemory _memory;
    private readonly DeviceMemory? _decodeMemory;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly ExactDecode _exactDecode;
    private readonly StaticDecodeBuffers? _staticDecode;
    private readonly IdleMemory _idleMemory;
    private readonly RunOptions _prepareRunOptions = new(); // Prepare's own: it may run on the preparation thread
    private readonly CaptureGate _gate;
    private readonly bool _ownsGate;
    private readonly int _condDim;
    private readonly int _maxFrames;
    private readonly int _vocabSize;
    private readonly bool _paddedPreprocess; // text ids padded to the frame count (BatchedContract.PaddedPreprocess)
    private readonly StaticPreprocess? _staticPre; // bucketed shapes (+ CUDA graphs) of a padded Preprocess, else null
    private readonly TimeModulationTable? _table;
    private readonly StepLanes _lanes;
    private bool _disposed;

    /// <summary>
    /// Takes ownership of the sessions, <paramref name="memory"/>, <paramref name="table"/> (the time modulation table
    /// of an f5ops export, whose Transformer takes <c>time_table</c>; null for other exports) and
    /// <paramref name="decodeMemory"/> (the Decode session's memory for bucketed decodes; null: every Decode at exact shapes).
    /// </summary>
    public BatchedF5Engine(StageSession pre, StageSession transformer, StageSession decode, DeviceMemory memory, EngineOptions options, int vocabSize, ILogger logger, TimeModulationTable? table = null, CaptureGate? gate = null, DeviceMemory? decodeMemory = null)
    {
        _ownsGate = gate is null;
        _gate = gate ?? new CaptureGate();
        _table = table;
        _pre = pre;
        NoiseBesidePreprocess = pre.OnGpu;
        _tr = transformer;
        _dec = decode;
        _memory = memory;
        _decodeMemory = decodeMemory;
        _options = options;
        _logger = logger;
        _vocabSize = vocabSize;

        BatchedContract.Validate(pre, transformer, decode, table is not null);
        _condDim = BatchedContract.CondDimOf(pre);
        _paddedPreprocess = BatchedContract.PaddedPreprocess(pre);
        if (pre.CudaGraph)
        {
            _prepareRunOptions.AddRunConfigEntry("gpu_graph_id", "-1"); // exact-shape runs of a graph-enabled session
        }

        var meta = _pre.Metadata;
        _maxFrames = BatchedContract.ParseOr(meta, "f5tts.max_frames", 4096);
        var hop = BatchedContract.ParseOr(meta, "f5tts.hop_length", 256);
        var graphIds = new GraphIdPool(options.Cuda.MaxCudaGraphs, "Transformer steps", logger);
        _exactDecode = new ExactDecode(decode, hop);
        try
        {
            _staticDecode = CreateStaticDecode(decode, decodeMemory, hop);
            _lanes = new StepLanes(
                () => options.StaticShapes || transformer.CudaGraph
                    ? new StaticStepBuffers(transformer, memory, options.MaxBatchSize, options.FrameBucket, _maxFrames, _condDim, graphIds, logger, _gate, table)
                    : new DynamicStepBuffers(transformer, memory, options.MaxBatchSize, _condDim, logger, table),
                Own,
                logger);
            _staticPre = CreateStaticPreprocess(pre, memory);
        }
        catch
        {
            // The factory disposes what it handed over; what this constructor made so far is the engine's to give back.
            _lanes?.Dispose();
            _staticDecode?.Dispose();
            _exactDecode.Dispose();
            throw;
        }

        var buffers = _lanes.Last.Buffers;

        Description = new EngineDescription(
            Model: meta.GetValueOrDefault("f5tts.model", "unknown"),
            Contract: ModelContracts.Batched,
            Precision: meta.GetValueOrDefault("f5tts.precision", "fp32"),
            SampleRate: BatchedContract.ParseOr(meta, "f5tts.sample_rate", 24000),
            HopLength: hop,
            MaxFrames: _maxFrames,
            MaxBatchSize: options.MaxBatchSize,
            SupportsBatching: true,
            FixedNfeSteps: null,
            ProvidersByStage: new Dictionary<string, string>
            {
                [ModelContracts.PreprocessStage] = _staticPre is null ? pre.ProvidersText : $"{pre.ProvidersText} ({_staticPre.Mode})",
                [ModelContracts.TransformerStage] = buffers.Mode is { } mode ? $"{transformer.ProvidersText} ({mode})" : transformer.ProvidersText,
                [ModelContracts.DecodeStage] = _staticDecode is { } bucketed ? $"{decode.ProvidersText} ({bucketed.Mode})" : decode.ProvidersText,
            });
        _idleMemory = new IdleMemory(IdleMemory.AllOnCpu(Description.ProvidersByStage));
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
    internal string ResidencyMode => _lanes.Last.Buffers.Mode is { } mode ? $"{_memory.Mode}; {mode}" : _memory.Mode;

    /// <summary>
    /// The static-shape buffers of the lane that ran the latest step, null when the Transformer runs at exact shapes (for
    /// tests and the smoke tool).
    /// </summary>
    internal StaticStepBuffers? StaticMode => _lanes.Last.Buffers as StaticStepBuffers;

    /// <summary>The bucketed Decode, null when every Decode runs at exact shapes (for tests).</summary>
    internal StaticDecodeBuffers? StaticDecode => _staticDecode;

    /// <summary>Packed batches allocated so far (for tests): 2 once the worker alternated between two batches.</summary>
    internal int PackedLanes => _lanes.Count;

    /// <summary>The time modulation table of an f5ops export, else null (for tests and the benchmark).</summary>
    internal TimeModulationTable? TimeTable => _table;

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

    /// <summary>
    /// Seeded noise drawn on a pool thread while Preprocess runs (<see cref="StartNoise"/>): on when Preprocess runs on
    /// a GPU provider. Settable for tests, which run on the CPU.
    /// </summary>
    internal bool NoiseBesidePreprocess { get; set; }

    public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        cancellationToken.ThrowIfCancellationRequested();
        var n = input.TotalFrames;
        EngineInputChecks.Check(input, _maxFrames, _vocabSize);
        var grid = TimeGrid.For(input.Sampler);

        var latent = new float[n * Mels];
        var noise = StartNoise(input, latent);
        (float[] Cond, float[] CondDrop, int ReferenceFrames) prepared;
        try
        {
            prepared = _staticPre is null ? PreprocessExact(input)
                : input.ReferenceAudio.Length <= _staticPre.MaxSamples ? _staticPre.Invoke(() => _staticPre.Run(input.ReferenceAudio, input.TextIds, n))
                : _staticPre.Invoke(() => PreprocessExact(input)); // a graph-enabled session runs on its thread only
        }
        finally
        {
            noise.Wait(CancellationToken.None); // never leave a fill running into an array nobody owns any more
        }

        if (prepared.ReferenceFrames >= n)
        {
            throw new ArgumentException($"TotalFrames ({n}) must exceed the reference's {prepared.ReferenceFrames} mel frames.", nameof(input));
        }

        return new BatchedItem(this, n, prepared.ReferenceFrames, grid, input.Sampler.CfgStrength, input.OutputGain, prepared.Cond, prepared.CondDrop, latent);
    }

    /// <summary>Preprocess at the item's exact shapes, into the item's own arrays.</summary>
    private (float[] Cond, float[] CondDrop, int ReferenceFrames) PreprocessExact(EngineInput input)
    {
        var n = input.TotalFrames;
        using var audioBuffer = NativeBuffer.HostCopy<float>(input.ReferenceAudio);
        using var idsBuffer = _paddedPreprocess ? PaddedIds(input.TextIds, n) : NativeBuffer.HostCopy<int>(input.TextIds);
        using var totalBuffer = NativeBuffer.HostCopy<long>([n]);
        using var audio = audioBuffer.View<float>(1, input.ReferenceAudio.Length);
        using var ids = idsBuffer.View<int>(1, _paddedPreprocess ? n : input.TextIds.Length);
        using var total = totalBuffer.View<long>(1);

        // The outputs are the item's own arrays: ONNX Runtime writes (or copies from the device) straight into them.
        var condSize = n * _condDim;
        var cond = GC.AllocateUninitializedArray<float>(condSize);
        var condDrop = GC.AllocateUninitializedArray<float>(condSize);
        var refFrames = new long[1];
        using var condValue = OrtValue.CreateTensorValueFromMemory(cond, [1, n, _condDim]);
        using var condDropValue = OrtValue.CreateTensorValueFromMemory(condDrop, [1, n, _condDim]);
        using var refValue = OrtValue.CreateTensorValueFromMemory(refFrames, [1]);
        RunPreprocess([audio, ids, total], [condValue, condDropValue, refValue]);
        return (cond, condDrop, checked((int)refFrames[0]));
    }

    /// <summary>The text ids of a padded Preprocess: <paramref name="frames"/> ids, -1 past the text (no token).</summary>
    private static NativeBuffer PaddedIds(ReadOnlySpan<int> textIds, int frames)
    {
        var buffer = NativeBuffer.AllocateHost((long)frames * sizeof(int));
        var ids = buffer.AsSpan<int>(frames);
        textIds.CopyTo(ids);
        ids[textIds.Length..].Fill(-1);
        return buffer;
    }

    /// <summary>
    /// x0 into <paramref name="latent"/>: <c>InitialNoise</c>, or seeded host noise. With Preprocess on a GPU the noise
    /// is drawn on a pool thread while this thread launches Preprocess's kernels (60 000 values take ≈ 1.1 ms on the CI
    /// machine's CPU; a lone request's Prepare is ≈ 5 ms on an H200 host); on the CPU, Preprocess's own threads use every
    /// core, so it is drawn here.
    /// The values are the same either way (one generator, one order).
    /// </summary>
    private Task StartNoise(EngineInput input, float[] latent)
    {
        if (input.InitialNoise is { } given)
        {
            given.AsSpan(0, latent.Length).CopyTo(latent);
            return Task.CompletedTask;
        }

        var generator = new GaussianNoise(input.Sampler.Seed ?? Random.Shared.NextInt64());
        if (!NoiseBesidePreprocess)
        {
            generator.Fill(latent);
            return Task.CompletedTask;
        }

        return Task.Run(() => generator.Fill(latent), CancellationToken.None); // ≈ 1 ms: not worth cancelling
    }

    private void RunPreprocess(OrtValue[] inputs, OrtValue[] outputs)
    {
        // Shared side of the gate: a Transformer run that may capture a CUDA graph waits until this run ended.
        _gate.EnterShared();
        try
        {
            _pre.Session.Run(_prepareRunOptions, ["audio", "text_ids", "total_frames"], inputs, ["cond", "cond_drop", "ref_frames"], outputs);
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

        // Shared side for the whole step (packing copies, scalar uploads, the run): another engine of this process may be
        // capturing a graph (global capture mode forbids such calls from any thread). A run of this step that may itself
        // capture trades the shared side for the exclusive one (StaticStepBuffers.Step).
        _gate.EnterShared();
        try
        {
            _lanes.Step(items);
        }
        finally
        {
            _gate.ExitShared();
        }
    }

    public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(items);
        cancellationToken.ThrowIfCancellationRequested();
        var own = items.Select(Own).ToList();
        _gate.EnterShared(); // read-backs and Vocos are CUDA calls too (see RunStep)
        try
        {
            return DecodeAll(own, cancellationToken);
        }
        finally
        {
            _gate.ExitShared();
        }
    }

    private List<float[]> DecodeAll(List<BatchedItem> own, CancellationToken cancellationToken)
    {
        _lanes.SyncLatents(own);

        var result = new List<float[]>(own.Count);
        for (var start = 0; start < own.Count; start += _options.MaxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.AddRange(DecodeChunk(own.GetRange(start, Math.Min(_options.MaxBatchSize, own.Count - start))));
        }

        return result;
    }

    /// <summary>One chunk of at most MaxBatchSize items: bucketed when it fits the static Decode buffers, else exact.</summary>
    private List<float[]> DecodeChunk(List<BatchedItem> items) =>
        _staticDecode is { } bucketed && bucketed.Fits(items) ? bucketed.Decode(items) : _exactDecode.Decode(items);

    /// <summary>
    /// The bucketed Decode when the factory made the Decode's memory (static shapes or Decode graphs) and the buffers can
    /// live where the session reads them: a GPU Decode whose memory fell back to the host would have ONNX Runtime copy
    /// each bound input once at bind time, never again, so it decodes at exact shapes (uncaptured) instead.
    /// </summary>
    private StaticDecodeBuffers? CreateStaticDecode(StageSession decode, DeviceMemory? decodeMemory, int hop)
    {
        if (decodeMemory is null)
        {
            return null;
        }

        if (decode.OnGpu && !decodeMemory.IsDevice)
        {
            _logger.LogWarning("The Decode's buffers cannot be in device memory (see the warning above); Decode runs at exact shapes{Graphs}.", decode.CudaGraph ? " without CUDA graphs" : string.Empty);
            return null;
        }

        var cuda = _options.Cuda;
        return new StaticDecodeBuffers(decode, decodeMemory, _options.MaxBatchSize, _options.FrameBucket, cuda.DecodeGraphMaxFrames, _maxFrames, hop, cuda.MaxCudaGraphs, _gate, _logger);
    }

    /// <summary>
    /// The bucketed Preprocess of a padded export with static shapes or a graph-enabled session, when its buffers can live
    /// where the session reads them (as <see cref="CreateStaticDecode"/>: bound host inputs of a GPU session would be
    /// copied once at bind time, never again); else null and Preprocess runs at exact shapes.
    /// </summary>
    private StaticPreprocess? CreateStaticPreprocess(StageSession pre, DeviceMemory memory)
    {
        if (!_paddedPreprocess || !(pre.CudaGraph || _options.StaticShapes))
        {
            return null;
        }

        if (pre.OnGpu && !memory.IsDevice)
        {
            _logger.LogWarning("Preprocess's buffers cannot be in device memory (see the residency warning); Preprocess runs at exact shapes.");
            return null;
        }

        return new StaticPreprocess(pre, memory, _condDim, _maxFrames, _options.FrameBucket, _options.Cuda.PreprocessGraphMaxSamples, _options.Cuda.MaxCudaGraphs, _gate, _logger);
    }

    private BatchedItem Own(IEngineItem item) => OwnedEngineItem.Own<BatchedItem>(this, item);

    /// <summary>Returns the memory the last burst left behind to the system (the CPU arena, if on, keeps its own).</summary>
    public void ReleaseIdleMemory() => _idleMemory.Release();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _staticPre?.Dispose();
        _lanes.Dispose();
        _staticDecode?.Dispose();
        _exactDecode.Dispose();
        _table?.Dispose();
        _prepareRunOptions.Dispose();
        if (_ownsGate)
        {
            _gate.Dispose();
        }
        _memory.Dispose();
        _decodeMemory?.Dispose();
        _pre.Dispose();
        _tr.Dispose();
        _dec.Dispose();
    }
}
