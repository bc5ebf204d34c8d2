using System.ComponentModel.DataAnnotations;

namespace F5Tts.Engines.Options;

/// <summary>An ONNX Runtime execution provider the engine knows how to configure.</summary>
public enum ExecutionProvider
{
    /// <summary>NVIDIA TensorRT (needs libnvinfer); builds engines per optimisation profile.</summary>
    TensorRT,

    /// <summary>NVIDIA CUDA with cuDNN.</summary>
    CUDA,

    /// <summary>The always-available CPU provider.</summary>
    CPU,
}

/// <summary>
/// Configuration section <c>F5Tts:Engine</c>: how the three graphs are run (docs/configuration.md, docs/engine.md).
/// Provider chains are comma-separated, highest priority first, e.g. <c>TensorRT,CUDA,CPU</c>; a provider that cannot
/// be loaded is skipped with one warning, and CPU is always the last resort.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Engine";

    /// <summary>Provider chain of the Transformer stage.</summary>
    [Required]
    [RegularExpression(ProviderChain.Pattern, ErrorMessage = ProviderChain.OptionErrorMessage)]
    public string TransformerProviders { get; set; } = "TensorRT,CUDA,CPU";

    /// <summary>Provider chain of the Preprocess stage.</summary>
    [Required]
    [RegularExpression(ProviderChain.Pattern, ErrorMessage = ProviderChain.OptionErrorMessage)]
    public string PreprocessProviders { get; set; } = "CUDA,CPU";

    /// <summary>Provider chain of the Decode stage.</summary>
    [Required]
    [RegularExpression(ProviderChain.Pattern, ErrorMessage = ProviderChain.OptionErrorMessage)]
    public string DecodeProviders { get; set; } = "CUDA,CPU";

    /// <summary>CUDA device ordinal used by the CUDA and TensorRT providers.</summary>
    [Range(0, 63)]
    public int DeviceId { get; set; }

    /// <summary>
    /// Devices to run one engine and one batch worker each on, behind one admission queue (e.g. <c>[0,1,2,3]</c>);
    /// empty = the one device <see cref="DeviceId"/>. With CPU providers the entries only number the workers
    /// (<c>cpu0</c>, <c>cpu1</c>, …), each with its own sessions.
    /// </summary>
    [MaxLength(64)]
    public int[] DeviceIds { get; set; } = [];

    /// <summary>The devices to run on: <see cref="DeviceIds"/>, or <see cref="DeviceId"/> alone.</summary>
    internal IReadOnlyList<int> Devices => DeviceIds.Length > 0 ? DeviceIds : [DeviceId];

    /// <summary>A copy of these options for the engine of one device.</summary>
    internal EngineOptions ForDevice(int deviceId)
    {
        var copy = (EngineOptions)MemberwiseClone();
        copy.DeviceId = deviceId;
        copy.DeviceIds = [];
        return copy;
    }

    /// <summary>ONNX Runtime graph optimisation level: Disabled, Basic, Extended or All.</summary>
    [Required]
    [RegularExpression("^(?i)(Disabled|Basic|Extended|All)$", ErrorMessage = "{0} must be Disabled, Basic, Extended or All.")]
    public string GraphOptimizationLevel { get; set; } = "All";

    /// <summary>Largest number of requests in one Transformer call (batched contract; dakeqq is always 1).</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// NFE baked into a dakeqq Transformer export (31 for current DakeQQ exports with NFE_STEP = 32, docs/model.md "The dakeqq graphs").
    /// The graph does not expose it, so it is configuration; <c>f5tts.nfe_steps</c> metadata overrides it when present.
    /// </summary>
    [Range(1, 1024)]
    public int DakeqqNfeSteps { get; set; } = 31;

    /// <summary>Total frames N of the warm-up items (≈ a 3 s reference plus a sentence).</summary>
    [Range(16, 4096)]
    public int WarmUpFrames { get; set; } = 680;

    /// <summary>
    /// Static shape buckets for the batched Transformer (docs/engine.md "CUDA graphs and shape buckets"): each call is
    /// padded to batch = the next power of two (capped at <see cref="MaxBatchSize"/>) and frames = the next multiple of
    /// <see cref="FrameBucket"/> (capped at the model's max frames), from buffers allocated once. Implied by
    /// <see cref="CudaOptions.CudaGraphs"/> on a CUDA Transformer. The batched Decode is bucketed the same way up to
    /// <see cref="CudaOptions.DecodeGraphMaxFrames"/> (implied by <see cref="CudaOptions.DecodeCudaGraphs"/> on a CUDA
    /// Decode); this switch is how the tests run both bucketed paths on the CPU.
    /// </summary>
    public bool StaticShapes { get; set; }

    /// <summary>Frame granularity of the static shape buckets (padded N is a multiple of it).</summary>
    [Range(1, 4096)]
    public int FrameBucket { get; set; } = 64;

    /// <summary>
    /// Rows of the time modulation table of exports made with <c>--attention f5ops</c> (docs/engine.md "Time modulation
    /// table"): the AdaLN vectors of each distinct time t, computed once by <c>F5_TimeModulation.onnx</c> and kept in the
    /// Transformer's memory (≈ 268 KiB per row in fp16 for F5TTS_v1_Base; 256 rows ≈ 67 MiB). One sampling schedule of
    /// n steps uses n rows; when a step needs rows that are not there and the table is full, it is refilled. At least
    /// <see cref="MaxBatchSize"/>.
    /// </summary>
    [Range(1, 65536)]
    public int TimeTableRows { get; set; } = 256;

    /// <summary>
    /// The <c>f5tts.ops</c> custom-op library (<c>libf5tts_ops.so</c>, src/Native/F5Tts.Ops, docs/custom-ops.md) that
    /// exports made with <c>--attention f5ops</c> need. Empty: the copy beside the application, registered when present.
    /// A path (relative to the content root) must exist. Registering it costs nothing for graphs that do not use it.
    /// </summary>
    public string? CustomOpsLibrary { get; set; }

    /// <summary>TensorRT provider options.</summary>
    [Required]
    public TensorRtOptions TensorRt { get; set; } = new();

    /// <summary>CUDA provider options.</summary>
    [Required]
    public CudaOptions Cuda { get; set; } = new();

    /// <summary>CPU provider options.</summary>
    [Required]
    public CpuOptions Cpu { get; set; } = new();
}

/// <summary>TensorRT provider options (<c>F5Tts:Engine:TensorRt</c>).</summary>
public sealed class TensorRtOptions
{
    /// <summary>Build fp16 engines (changes results slightly; off for golden parity).</summary>
    public bool Fp16 { get; set; }

    /// <summary>Directory for serialized engines; empty disables the engine cache (every start rebuilds).</summary>
    public string? EngineCacheDirectory { get; set; } = "trt-cache/engines";

    /// <summary>Directory for the timing cache; empty disables it.</summary>
    public string? TimingCacheDirectory { get; set; } = "trt-cache/timing";

    /// <summary>Builder workspace limit in bytes.</summary>
    [Range(1L << 24, 1L << 40)]
    public long WorkspaceBytes { get; set; } = 4L << 30;

    /// <summary>Smallest batch of the optimisation profile.</summary>
    [Range(1, 256)]
    public int MinBatch { get; set; } = 1;

    /// <summary>Batch the profile is tuned for.</summary>
    [Range(1, 256)]
    public int OptBatch { get; set; } = 4;

    /// <summary>Largest batch of the profile (should be ≥ MaxBatchSize, else larger batches rebuild engines).</summary>
    [Range(1, 256)]
    public int MaxBatch { get; set; } = 16;

    /// <summary>Smallest total frames N of the profile.</summary>
    [Range(1, 4096)]
    public int MinFrames { get; set; } = 16;

    /// <summary>Frames the profile is tuned for.</summary>
    [Range(1, 4096)]
    public int OptFrames { get; set; } = 680;

    /// <summary>Largest frames of the profile.</summary>
    [Range(1, 4096)]
    public int MaxFrames { get; set; } = 4096;
}

/// <summary>CUDA provider options (<c>F5Tts:Engine:Cuda</c>).</summary>
public sealed class CudaOptions
{
    /// <summary>Arena growth: kNextPowerOfTwo or kSameAsRequested.</summary>
    [Required]
    [RegularExpression("^(kNextPowerOfTwo|kSameAsRequested)$", ErrorMessage = "{0} must be kNextPowerOfTwo or kSameAsRequested.")]
    public string ArenaExtendStrategy { get; set; } = "kNextPowerOfTwo";

    /// <summary>cuDNN convolution algorithm search: EXHAUSTIVE, HEURISTIC or DEFAULT.</summary>
    [Required]
    [RegularExpression("^(EXHAUSTIVE|HEURISTIC|DEFAULT)$", ErrorMessage = "{0} must be EXHAUSTIVE, HEURISTIC or DEFAULT.")]
    public string CudnnConvAlgoSearch { get; set; } = "HEURISTIC";

    /// <summary>Allow TF32 matmuls (faster, changes results ~1e-3; off by default for parity, docs/model.md "Numerics").</summary>
    public bool UseTf32 { get; set; }

    /// <summary>
    /// The CUDA provider's <c>sdpa_kernel</c>: which attention kernels MultiHeadAttention may use, a bit mask (1 its
    /// flash attention, 2 memory-efficient attention, 8 cuDNN's flash attention, 16 the unfused kernel); 0 lets
    /// ONNX Runtime choose (cuDNN's on the H100/H200, docs/benchmarks.md has the comparison).
    /// </summary>
    [Range(0, 1023)]
    public int SdpaKernel { get; set; }

    /// <summary>GPU memory limit of the arena in bytes; 0 = no limit.</summary>
    [Range(0L, long.MaxValue)]
    public long MemoryLimitBytes { get; set; }

    /// <summary>
    /// Capture and replay the batched Transformer step as CUDA graphs (<c>enable_cuda_graph</c>, one graph per shape
    /// bucket); implies <see cref="EngineOptions.StaticShapes"/>. Only the Transformer stage of an
    /// <c>f5tts-batched/1</c> model whose first GPU provider is CUDA; TensorRT and CPU ignore it. On by default: the
    /// step at batch 1 is launch-bound (4.3 ms with graphs vs 5.8 ms without on the H100, docs/benchmarks.md); the cost
    /// is a one-off capture the first time each bucket runs and buffers sized MaxBatchSize × max frames.
    /// </summary>
    public bool CudaGraphs { get; set; } = true;

    /// <summary>
    /// Most CUDA graph ids captured (two per shape bucket used, one per ping-pong parity). ONNX Runtime cannot release
    /// a captured graph; steps of buckets beyond the cap run without a graph (static shapes, logged once).
    /// </summary>
    [Range(2, 4096)]
    public int MaxCudaGraphs { get; set; } = 48;

    /// <summary>
    /// Capture and replay Preprocess as CUDA graphs at bucketed shapes (the reference's sample count and the frame
    /// count rounded up to <see cref="EngineOptions.FrameBucket"/>), on a thread of its own. Only for exports with a
    /// padded Preprocess (exporter version 2, docs/export.md "Padded Preprocess") whose Preprocess runs first on CUDA.
    /// A lone request's Preprocess is launch-bound (≈ 100 kernels); each (voice length, frame bucket) captures once and
    /// takes a graph id of its own, up to <see cref="MaxCudaGraphs"/> for this session. Off by default: on the H200 it
    /// took a lone request's Preprocess from 5.8 to 4.6 ms in GpuBench but not below the service's exact-shape 3.5 ms
    /// (4.25 ms), and the one loaded service run with it and <see cref="DecodeCudaGraphs"/> on hung (docs/benchmarks.md
    /// "Preprocess and Decode graphs").
    /// </summary>
    public bool PreprocessCudaGraphs { get; set; }

    /// <summary>
    /// Longest reference in samples that Preprocess runs at bucketed shapes (its buffers are allocated for it once:
    /// 4 bytes a sample); a longer one runs at exact shapes. Default 30 s at 24 kHz.
    /// </summary>
    [Range(513, 24_000 * 600)]
    public int PreprocessGraphMaxSamples { get; set; } = 720_000;

    /// <summary>
    /// Capture and replay the batched Decode (the Vocos vocoder) as CUDA graphs, one per shape bucket (batch bucket,
    /// frame bucket of <see cref="EngineOptions.FrameBucket"/>) up to <see cref="DecodeGraphMaxFrames"/>
    /// (docs/engine.md "CUDA graphs and shape buckets"). Only the Decode of an <c>f5tts-batched/1</c> model whose first
    /// GPU provider is CUDA; TensorRT and CPU ignore it. A lone Decode is mostly ONNX Runtime's per-node launch work:
    /// on the H200 graphs took it from 3.6 to 1.5 ms (GpuBench medians) and from 2.7 to 1.4 ms in the service. Off by
    /// default: the one loaded service run with it and <see cref="PreprocessCudaGraphs"/> on hung (an engine call never
    /// returned; docs/benchmarks.md "Preprocess and Decode graphs"), and a default must not risk that until the cause is
    /// known. Graph ids come from the Decode session's own pool, capped by <see cref="MaxCudaGraphs"/> (one per bucket).
    /// </summary>
    public bool DecodeCudaGraphs { get; set; }

    /// <summary>
    /// Longest Decode, in generated frames of the chunk's longest item, that runs at bucketed shapes — as a CUDA graph
    /// with <see cref="DecodeCudaGraphs"/>, from buffers allocated once with <see cref="EngineOptions.StaticShapes"/> —
    /// rounded up to a multiple of <see cref="EngineOptions.FrameBucket"/> (capped at the model's max frames). It sizes
    /// the Decode's buffers (MaxBatchSize × this many frames of mel in, audio out: ≈ 22 MiB at 16 × 1024) and bounds the
    /// shapes that get graphs; longer decodes run at their exact shape without a graph. 1024 frames ≈ 10.9 s of audio.
    /// </summary>
    [Range(1, 4096)]
    public int DecodeGraphMaxFrames { get; set; } = 1024;
}

/// <summary>CPU provider options (<c>F5Tts:Engine:Cpu</c>).</summary>
public sealed class CpuOptions
{
    /// <summary>Intra-op threads; 0 lets ONNX Runtime pick (one per physical core).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// ONNX Runtime's CPU memory arena. Off by default: the arena keeps the peak of every burst for the life of the
    /// process (30 concurrent long streams on CPU grew it by gigabytes that never came back); without it tensors
    /// are allocated and freed per run and resident memory returns after the burst (docs/reliability.md has the
    /// measurement). Turn it on only for a CPU deployment with steady load where the allocation time matters.
    /// </summary>
    public bool MemoryArena { get; set; }
}
