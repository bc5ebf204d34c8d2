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
/// The <c>dakeqq</c> contract (docs/model.md "The dakeqq graphs"): upstream DakeQQ/F5-TTS-ONNX exports, batch 1, NFE/CFG/sway baked into the
/// Transformer. Inputs and outputs are bound by position, never by name (the step input is stored as
/// <c>time_step.1</c>). Each item binds its six constant tensors once (uploaded once on a GPU) and ping-pongs its
/// latent between two buffers in the Transformer's memory. Host noise replaces the in-graph <c>noise</c> output when a
/// seed or explicit noise is given. Items in one <see cref="RunStep"/> run one after another.
/// </summary>
internal sealed class DakeqqF5Engine : ITtsEngine
{
    private const int Mels = 100;
    private const int MaxFrames = 4096; // RoPE/text-position tables and ISTFT envelope size (docs/model.md "Limits")

    private readonly StageSession _pre;
    private readonly StageSession _tr;
    private readonly StageSession _dec;
    private readonly DeviceMemory _memory;
    private readonly ILogger _logger;
    private readonly int _vocabSize;
    private readonly int _nfe;
    private readonly TensorElementType _latentType;
    private readonly RunOptions _runOptions = new();
    private readonly IdleMemory _idleMemory;
    private readonly HashSet<DakeqqItem> _live = []; // items own device buffers from this engine's allocator
    private bool _disposed;

    public DakeqqF5Engine(StageSession pre, StageSession transformer, StageSession decode, DeviceMemory memory, EngineOptions options, int vocabSize, ILogger logger)
    {
        _pre = pre;
        _tr = transformer;
        _dec = decode;
        _memory = memory;
        _logger = logger;
        _vocabSize = vocabSize;

        Validate();
        _latentType = _pre.Session.OutputMetadata[_pre.Session.OutputNames[0]].ElementDataType;
        _nfe = (_tr.Metadata.TryGetValue("f5tts.nfe_steps", out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) ? v : options.DakeqqNfeSteps;

        Description = new EngineDescription(
            Model: _pre.Metadata.GetValueOrDefault("f5tts.model", "F5TTS (DakeQQ export)"),
            Contract: ModelContracts.Dakeqq,
            Precision: _latentType == TensorElementType.Float16 ? "fp16" : "fp32",
            SampleRate: 24000,
            HopLength: 256,
            MaxFrames: MaxFrames,
            MaxBatchSize: 1,
            SupportsBatching: false,
            FixedNfeSteps: _nfe,
            ProvidersByStage: new Dictionary<string, string>
            {
                [ModelContracts.PreprocessStage] = pre.ProvidersText,
                [ModelContracts.TransformerStage] = transformer.ProvidersText,
                [ModelContracts.DecodeStage] = decode.ProvidersText,
            });
        _idleMemory = new IdleMemory(IdleMemory.AllOnCpu(Description.ProvidersByStage));
    }

    public EngineDescription Description { get; }

    /// <summary>
    /// False: Prepare builds the item's Transformer binding (uploading its tensors on a GPU), allocates its device
    /// latents and registers it with the engine, so it stays on the worker thread; with one item per batch nothing could
    /// be prepared ahead of the running one anyway.
    /// </summary>
    public bool ConcurrentPrepare => false;

    /// <summary>Where the latents live (tests read them back through it).</summary>
    internal DeviceMemory Memory => _memory;

    /// <summary>
    /// TensorRT profile for the seven N-dependent Transformer inputs. DakeQQ feeds Preprocess outputs 0–6 straight into
    /// Transformer inputs 0–6 under the same names (docs/model.md "The dakeqq graphs"), so names and static dims come from the
    /// Preprocess outputs; every dynamic dim is N.
    /// </summary>
    internal static TrtProfile TrtProfileFor(TensorRtOptions trt, StageSession pre) => TrtProfile.Build(
        pre.Session.OutputNames.Take(7).Select(name => (name, pre.Session.OutputMetadata[name].Dimensions
            .Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture)).ToArray())),
        trt);

    public void WarmUp(CancellationToken cancellationToken)
    {
        using var item = (DakeqqItem)Prepare(WarmUpInput.Create(256, _vocabSize, 256) with { Sampler = new SamplerSettings(Seed: 1) }, cancellationToken);
        RunStep([item], cancellationToken);
        item.StepsDone = item.StepsTotal; // decode after one step: warm-up only needs each stage to run once
        Decode([item], cancellationToken);
        _logger.LogInformation("Warm-up done (dakeqq): each stage ran once.");
    }

    public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        cancellationToken.ThrowIfCancellationRequested();
        EngineInputChecks.Check(input, MaxFrames, _vocabSize);
        var n = input.TotalFrames;

        // DakeQQ's graph divides int16 by 32768 (docs/model.md "The dakeqq graphs"); round-to-nearest keeps the float clip's level.
        using var pcmBuffer = NativeBuffer.AllocateHost((long)input.ReferenceAudio.Length * sizeof(short));
        var pcm = pcmBuffer.AsSpan<short>(input.ReferenceAudio.Length);
        for (var i = 0; i < pcm.Length; i++)
        {
            pcm[i] = (short)Math.Clamp(MathF.Round(input.ReferenceAudio[i] * 32768f), short.MinValue, short.MaxValue);
        }

        using var idsBuffer = NativeBuffer.HostCopy<int>(input.TextIds);
        using var totalBuffer = NativeBuffer.HostCopy<long>([n]);
        using var audio = pcmBuffer.View<short>(1, 1, pcm.Length);
        using var ids = idsBuffer.View<int>(1, input.TextIds.Length);
        using var total = totalBuffer.View<long>(1);
        var outputs = _pre.Session.Run(_runOptions, _pre.Session.InputNames, [audio, ids, total], _pre.Session.OutputNames);
        try
        {
            var refFrames = checked((int)outputs[7].GetTensorDataAsSpan<long>()[0]);
            if (refFrames + 1 >= n)
            {
                throw new ArgumentException($"TotalFrames ({n}) must exceed the reference's {refFrames} mel frames by at least 2.", nameof(input));
            }

            if (input.InitialNoise is { } given)
            {
                WriteNoise(outputs[0], given);
            }
            else if (input.Sampler.Seed is { } seed)
            {
                WriteNoise(outputs[0], GaussianNoise.Generate(seed, n * Mels));
            }

            var item = new DakeqqItem(this, outputs, n, refFrames, input.OutputGain);
            _live.Add(item);
            return item;
        }
        catch
        {
            outputs.Dispose();
            throw;
        }
    }

    public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var own = Own(item);
            if (own.IsComplete)
            {
                throw new ArgumentException("A complete item cannot take another step.", nameof(items));
            }

            own.Step(_tr.Session, _runOptions);
        }
    }

    public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(items);
        var result = new List<float[]>(items.Count);
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var own = Own(item);
            var latent = own.LatestOnHost(_memory);
            using var outputs = _dec.Session.Run(_runOptions, _dec.Session.InputNames, [latent, own.RefSignalLength], _dec.Session.OutputNames);
            var pcm16 = outputs[0].GetTensorDataAsSpan<short>();
            var pcm = new float[pcm16.Length];
            var scale = own.OutputGain / 32767f; // the graph scales by 32767 before the int16 cast (docs/model.md "The dakeqq graphs")
            for (var i = 0; i < pcm.Length; i++)
            {
                pcm[i] = pcm16[i] * scale;
            }

            result.Add(pcm);
        }

        return result;
    }

    private void WriteNoise(OrtValue noise, float[] values)
    {
        if (_latentType == TensorElementType.Float16)
        {
            var span = noise.GetTensorMutableDataAsSpan<Float16>();
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (Float16)values[i];
            }
        }
        else
        {
            values.AsSpan(0, noise.GetTensorMutableDataAsSpan<float>().Length).CopyTo(noise.GetTensorMutableDataAsSpan<float>());
        }
    }

    private DakeqqItem Own(IEngineItem item) => OwnedEngineItem.Own<DakeqqItem>(this, item);

    private void Validate()
    {
        var pre = _pre.Session;
        var tr = _tr.Session;
        var dec = _dec.Session;
        OnnxTtsEngineFactory.Require(_pre, pre.InputNames.Count == 3 && pre.OutputNames.Count == 8, "the dakeqq Preprocess has 3 inputs and 8 outputs");
        OnnxTtsEngineFactory.Require(_pre, pre.OutputMetadata[pre.OutputNames[7]].ElementDataType == TensorElementType.Int64, "the 8th Preprocess output (ref_signal_len) must be int64");
        OnnxTtsEngineFactory.Require(_tr, tr.InputNames.Count == 8 && tr.OutputNames.Count == 2, "the dakeqq Transformer has 8 inputs (latent, 4 RoPE tables, 2 conditions, step) and 2 outputs");
        OnnxTtsEngineFactory.Require(_tr, tr.InputMetadata[tr.InputNames[7]].ElementDataType == TensorElementType.Int32, "the last Transformer input (the step index) must be int32");
        for (var i = 0; i < 7; i++)
        {
            OnnxTtsEngineFactory.Require(_tr, tr.InputMetadata[tr.InputNames[i]].ElementDataType == pre.OutputMetadata[pre.OutputNames[i]].ElementDataType, $"Transformer input {i} must have the type of Preprocess output {i}");
        }

        OnnxTtsEngineFactory.Require(_dec, dec.InputNames.Count == 2 && dec.OutputNames.Count == 1, "the dakeqq Decode has 2 inputs (latent, ref_signal_len) and 1 output");
        OnnxTtsEngineFactory.Require(_dec, dec.OutputMetadata[dec.OutputNames[0]].ElementDataType == TensorElementType.Int16, "the Decode output must be int16 audio");
    }

    /// <summary>Returns the memory the last burst left behind to the system (the CPU arena, if on, keeps its own).</summary>
    public void ReleaseIdleMemory() => _idleMemory.Release();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Items still alive hold allocations of the allocator disposed below: release them first.
        foreach (var item in _live.ToList())
        {
            item.Dispose();
        }

        _runOptions.Dispose();
        _memory.Dispose();
        _pre.Dispose();
        _tr.Dispose();
        _dec.Dispose();
    }

    /// <summary>One dakeqq request: Preprocess outputs, its own binding and ping-pong latent buffers.</summary>
    internal sealed class DakeqqItem : IOwnedEngineItem
    {
        private readonly IDisposableReadOnlyCollection<OrtValue> _preOutputs;
        private readonly OrtIoBinding _binding;
        private readonly NativeBuffer[] _ping = new NativeBuffer[2];
        private readonly OrtValue[] _pingValue = new OrtValue[2];
        private readonly int[] _step = new int[1];
        private readonly int[] _stepOut = new int[1];
        private readonly OrtValue _stepValue;
        private readonly OrtValue _stepOutValue;
        private readonly string _latentInput;
        private readonly string _stepInput;
        private readonly string _latentOutput;
        private readonly string _stepOutput;
        private int _current = -1; // -1: latent is the Preprocess noise tensor (host); 0/1: _ping[i]

        public DakeqqItem(DakeqqF5Engine engine, IDisposableReadOnlyCollection<OrtValue> preOutputs, int totalFrames, int referenceFrames, float outputGain)
        {
            Engine = engine;
            _preOutputs = preOutputs;
            TotalFrames = totalFrames;
            ReferenceFrames = referenceFrames;
            OutputGain = outputGain;
            StepsTotal = engine._nfe;

            var tr = engine._tr.Session;
            _latentInput = tr.InputNames[0];
            _stepInput = tr.InputNames[7];
            _latentOutput = tr.OutputNames[0];
            _stepOutput = tr.OutputNames[1];
            _binding = tr.CreateIoBinding();
            for (var i = 1; i <= 6; i++)
            {
                _binding.BindInput(tr.InputNames[i], preOutputs[i]); // uploaded once on a GPU, kept for every step
            }

            var elementSize = engine._latentType == TensorElementType.Float16 ? 2 : 4;
            for (var k = 0; k < 2; k++)
            {
                _ping[k] = engine._memory.Allocate((long)totalFrames * Mels * elementSize);
                _pingValue[k] = _ping[k].View(engine._latentType, [1, totalFrames, Mels], elementSize);
            }

            _stepValue = OrtValue.CreateTensorValueFromMemory(_step, [1]);
            _stepOutValue = OrtValue.CreateTensorValueFromMemory(_stepOut, [1]);
            _binding.BindOutput(_stepOutput, _stepOutValue);
        }

        public DakeqqF5Engine Engine { get; }

        ITtsEngine IOwnedEngineItem.Owner => Engine;

        public int TotalFrames { get; }

        public int ReferenceFrames { get; }

        public int StepsDone { get; set; }

        public int StepsTotal { get; }

        public bool IsComplete => StepsDone >= StepsTotal;

        public float OutputGain { get; }

        public bool IsDisposed { get; private set; }

        public OrtValue RefSignalLength => _preOutputs[7];

        /// <summary>Preprocess output <paramref name="index"/> (host memory), by position.</summary>
        public OrtValue PreprocessOutput(int index) => _preOutputs[index];

        public void Step(InferenceSession session, RunOptions runOptions)
        {
            _step[0] = StepsDone;
            var next = _current == 0 ? 1 : 0;
            _binding.BindInput(_latentInput, _current < 0 ? _preOutputs[0] : _pingValue[_current]);
            _binding.BindInput(_stepInput, _stepValue);
            _binding.BindOutput(_latentOutput, _pingValue[next]);
            session.RunWithBinding(runOptions, _binding);
            _current = next;
            StepsDone++;
        }

        /// <summary>The latest latent as a host tensor (read back into the Preprocess noise tensor if on the device).</summary>
        public OrtValue LatestOnHost(DeviceMemory memory)
        {
            if (_current >= 0)
            {
                memory.CopyToHost(_pingValue[_current], _preOutputs[0]);
                _current = -1;
            }

            return _preOutputs[0];
        }

        public void Dispose()
        {
            if (IsDisposed)
            {
                return;
            }

            IsDisposed = true;
            Engine._live.Remove(this);
            _binding.Dispose();
            foreach (var v in _pingValue)
            {
                v?.Dispose();
            }

            foreach (var b in _ping)
            {
                b?.Dispose();
            }

            _stepValue.Dispose();
            _stepOutValue.Dispose();
            _preOutputs.Dispose();
        }
    }
}
