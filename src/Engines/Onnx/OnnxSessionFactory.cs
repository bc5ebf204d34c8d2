using System.Globalization;
using System.Runtime.InteropServices;
using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.Onnx;

/// <summary>
/// Creates each stage's <see cref="InferenceSession"/> from <see cref="EngineOptions"/>: the stage's providers are
/// appended in priority order (ONNX Runtime places each node on the first provider that supports it, CPU last). A
/// provider whose library cannot be loaded, or whose session cannot be built, is dropped with one warning and the
/// next one is tried; what was really used is recorded on the <see cref="StageSession"/>.
/// </summary>
internal sealed class OnnxSessionFactory
{
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly string _contentRoot;
    private readonly HashSet<ExecutionProvider> _unavailable = [];
    private readonly string _appDirectory;
    private readonly string? _customOps;

    /// <param name="options">The engine options.</param>
    /// <param name="logger">Receives provider fallbacks and session summaries.</param>
    /// <param name="contentRoot">Base of relative paths in <paramref name="options"/>.</param>
    /// <param name="appDirectory">Where the default <see cref="CustomOpsFileName"/> is looked for: the application's
    /// directory (<see cref="AppContext.BaseDirectory"/>) unless a test points it at a folder without one.</param>
    public OnnxSessionFactory(EngineOptions options, ILogger logger, string contentRoot, string? appDirectory = null)
    {
        _options = options;
        _logger = logger;
        _contentRoot = contentRoot;
        _appDirectory = appDirectory ?? AppContext.BaseDirectory;
        _customOps = FindCustomOpsLibrary();
    }

    /// <summary>File name of the <c>f5tts.ops</c> custom-op library (src/Native/F5Tts.Ops).</summary>
    public const string CustomOpsFileName = "libf5tts_ops.so";

    /// <summary>The custom-op library registered with every session, or null when none was found.</summary>
    public string? CustomOpsLibrary => _customOps;

    /// <summary>
    /// Whether the registered custom-op library carries CUDA kernels (its <c>F5TtsOpsProviders</c> export says
    /// "cpu,cuda"): a library built without nvcc registers its ops for the CPU provider only. Null without a library.
    /// </summary>
    public bool? CustomOpsHaveCuda => _customOpsHaveCuda ??= _customOps is null ? null : ProbeCuda(_customOps);

    private bool? _customOpsHaveCuda;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ProvidersExport();

    private static bool ProbeCuda(string library)
    {
        // The same dlopen handle ONNX Runtime gets when it registers the library; loading twice only counts references.
        if (!NativeLibrary.TryLoad(library, out var handle))
        {
            return false;
        }

        try
        {
            if (!NativeLibrary.TryGetExport(handle, "F5TtsOpsProviders", out var export))
            {
                return false;
            }

            var providers = Marshal.PtrToStringUTF8(Marshal.GetDelegateForFunctionPointer<ProvidersExport>(export)()) ?? string.Empty;
            return providers.Split(',').Contains("cuda", StringComparer.Ordinal);
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
    }

    /// <summary>
    /// Creates the session of <paramref name="stage"/> from <paramref name="path"/> with <paramref name="chain"/>.
    /// <paramref name="trtProfiles"/> holds the TensorRT optimisation profile (min, opt, max shape strings) of the
    /// graph's dynamic inputs; null when the stage has none. <paramref name="cudaGraph"/> adds
    /// <c>enable_cuda_graph=1</c> to the CUDA provider when CUDA is the stage's first GPU provider (not behind TensorRT,
    /// whose partitions a CUDA graph cannot capture); <see cref="StageSession.CudaGraph"/> tells whether it was. A session
    /// that ONNX Runtime will not build with graphs is built again without them, with one warning, rather than losing
    /// its provider.
    /// </summary>
    public StageSession Create(string stage, string path, IReadOnlyList<ExecutionProvider> chain, TrtProfile? trtProfiles = null, bool cudaGraph = false)
    {
        var candidates = chain.Where(p => !_unavailable.Contains(p)).ToList();
        while (true)
        {
            var used = new List<ExecutionProvider>();
            var graph = false;
            using var sessionOptions = CreateBaseOptions();
            foreach (var provider in candidates)
            {
                if (provider == ExecutionProvider.CPU)
                {
                    continue;
                }

                try
                {
                    var withGraph = cudaGraph && provider == ExecutionProvider.CUDA && used.Count == 0;
                    Append(sessionOptions, provider, trtProfiles, withGraph);
                    used.Add(provider);
                    graph |= withGraph;
                }
                catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
                {
                    _unavailable.Add(provider);
                    // One short line per unavailable provider (a CPU-only machine has several); ONNX Runtime's full
                    // text (source file, function signature, library search) only at Debug.
                    _logger.LogWarning("Execution provider {Provider} is not available ({Reason}); stage {Stage} uses the next provider of its chain.",
                        provider, ShortReason(e.Message), stage);
                    _logger.LogDebug(e, "Execution provider {Provider} failed to load", provider);
                }
            }

            used.Add(ExecutionProvider.CPU);
            if (graph)
            {
                // ONNX Runtime says at warning level that shape nodes run on the CPU beside a graph, and at error level
                // why it refuses one (its source fails the session when Memcpy nodes are needed; caught below): keep
                // both visible for this session.
                sessionOptions.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
            }

            try
            {
                var session = CreateSession(path, sessionOptions);
                _logger.LogInformation("Stage {Stage}: {File} loaded with providers {Providers}{Graph}.", stage, Path.GetFileName(path), string.Join(',', used), graph ? " (CUDA graphs enabled)" : string.Empty);
                return new StageSession(stage, path, session, used, graph);
            }
            catch (OnnxRuntimeException e) when (graph)
            {
                // ONNX Runtime refuses enable_cuda_graph for a graph whose compute nodes are not all on CUDA (Memcpy
                // nodes) or that has control flow. The stage keeps its provider and runs without graphs; the engine sees
                // StageSession.CudaGraph false and tags no run with an id.
                cudaGraph = false;
                _logger.LogWarning(
                    "Stage {Stage}: creating the session of {File} with CUDA graphs failed ({Reason}); creating it without graphs.",
                    stage, Path.GetFileName(path), ShortReason(e.Message));
                _logger.LogDebug(e, "Session creation with CUDA graphs failed");
            }
            catch (OnnxRuntimeException e) when (used.Count > 1)
            {
                // The library loaded but the session could not be built with it (e.g. a TensorRT engine build failed):
                // drop the highest-priority GPU provider for this stage and try again.
                var dropped = used[0];
                candidates.Remove(dropped);
                _logger.LogWarning(
                    "Stage {Stage}: creating the session of {File} with {Provider} failed ({Reason}); falling back to the next provider.",
                    stage, Path.GetFileName(path), dropped, ShortReason(e.Message));
                _logger.LogDebug(e, "Session creation with {Provider} failed", dropped);
            }
            catch (OnnxRuntimeException e) when (_customOps is null && e.Message.Contains(CustomOpsDomain, StringComparison.Ordinal))
            {
                throw new ModelLoadException(
                    $"{Path.GetFileName(path)} uses the {CustomOpsDomain} custom ops (an --attention f5ops export), but no {CustomOpsFileName} was found " +
                    $"beside the application ({_appDirectory}) and {EngineOptions.SectionName}:CustomOpsLibrary is not set. Build it with " +
                    "src/Native/F5Tts.Ops/build.sh (docs/custom-ops.md) or load an export made with --attention fused.", e);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelLoadException($"{Path.GetFileName(path)}: ONNX Runtime cannot load the graph ({FirstLine(e.Message)}). Path: {path}", e);
            }
        }
    }

    /// <summary>
    /// ONNX Runtime adds a registered custom-op library's domain to a process-wide schema registry while it builds the
    /// session, and two sessions doing so at once fail with "the domain is already exist" (seen when engines load in
    /// parallel, e.g. test classes). Sessions with the library are therefore built one at a time; the lock guards that
    /// native registry, not state of this class.
    /// </summary>
    private InferenceSession CreateSession(string path, SessionOptions sessionOptions)
    {
        if (_customOps is null)
        {
            return new InferenceSession(path, sessionOptions);
        }

        lock (CustomOpsRegistration)
        {
            return new InferenceSession(path, sessionOptions);
        }
    }

    private static readonly Lock CustomOpsRegistration = new();

    private SessionOptions CreateBaseOptions()
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = _options.GraphOptimizationLevel.ToUpperInvariant() switch
            {
                "DISABLED" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "BASIC" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "EXTENDED" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            EnableCpuMemArena = _options.Cpu.MemoryArena, // bounded memory under bursts (EngineOptions.Cpu.MemoryArena)
        };
        if (_options.Cpu.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = _options.Cpu.IntraOpThreads;
        }

        if (_customOps is not null)
        {
            try
            {
                so.RegisterCustomOpLibrary(_customOps);
            }
            catch
            {
                so.Dispose();
                throw;
            }
        }

        return so;
    }

    private const string CustomOpsDomain = "f5tts.ops";

    /// <summary>
    /// The configured library (which must exist: a typo must not silently fall back to graphs that then fail to load),
    /// else the copy the build places beside the application, else null.
    /// </summary>
    private string? FindCustomOpsLibrary()
    {
        if (!string.IsNullOrWhiteSpace(_options.CustomOpsLibrary))
        {
            var configured = Resolve(_options.CustomOpsLibrary);
            return File.Exists(configured)
                ? configured
                : throw new ModelLoadException($"{EngineOptions.SectionName}:CustomOpsLibrary: {configured} does not exist.");
        }

        var beside = Path.Combine(_appDirectory, CustomOpsFileName);
        return File.Exists(beside) ? beside : null;
    }

    private void Append(SessionOptions so, ExecutionProvider provider, TrtProfile? profile, bool cudaGraph)
    {
        var device = _options.DeviceId.ToString(CultureInfo.InvariantCulture);
        switch (provider)
        {
            case ExecutionProvider.TensorRT:
            {
                var trt = _options.TensorRt;
                var settings = new Dictionary<string, string>
                {
                    ["device_id"] = device,
                    ["trt_fp16_enable"] = trt.Fp16 ? "1" : "0",
                    ["trt_max_workspace_size"] = trt.WorkspaceBytes.ToString(CultureInfo.InvariantCulture),
                };
                if (!string.IsNullOrWhiteSpace(trt.EngineCacheDirectory))
                {
                    var dir = Resolve(trt.EngineCacheDirectory);
                    Directory.CreateDirectory(dir);
                    settings["trt_engine_cache_enable"] = "1";
                    settings["trt_engine_cache_path"] = dir;
                }

                if (!string.IsNullOrWhiteSpace(trt.TimingCacheDirectory))
                {
                    var dir = Resolve(trt.TimingCacheDirectory);
                    Directory.CreateDirectory(dir);
                    settings["trt_timing_cache_enable"] = "1";
                    settings["trt_timing_cache_path"] = dir;
                }

                if (profile is not null)
                {
                    settings["trt_profile_min_shapes"] = profile.Min;
                    settings["trt_profile_opt_shapes"] = profile.Opt;
                    settings["trt_profile_max_shapes"] = profile.Max;
                }

                using var trtOptions = new OrtTensorRTProviderOptions();
                trtOptions.UpdateOptions(settings);
                so.AppendExecutionProvider_Tensorrt(trtOptions);
                break;
            }

            case ExecutionProvider.CUDA:
            {
                var cuda = _options.Cuda;
                var settings = new Dictionary<string, string>
                {
                    ["device_id"] = device,
                    ["arena_extend_strategy"] = cuda.ArenaExtendStrategy,
                    ["cudnn_conv_algo_search"] = cuda.CudnnConvAlgoSearch,
                    ["use_tf32"] = cuda.UseTf32 ? "1" : "0",
                    ["do_copy_in_default_stream"] = "1",
                };
                if (cudaGraph)
                {
                    settings["enable_cuda_graph"] = "1";
                }

                if (cuda.SdpaKernel > 0)
                {
                    settings["sdpa_kernel"] = cuda.SdpaKernel.ToString(CultureInfo.InvariantCulture);
                }

                if (cuda.MemoryLimitBytes > 0)
                {
                    settings["gpu_mem_limit"] = cuda.MemoryLimitBytes.ToString(CultureInfo.InvariantCulture);
                }

                using var cudaOptions = new OrtCUDAProviderOptions();
                cudaOptions.UpdateOptions(settings);
                so.AppendExecutionProvider_CUDA(cudaOptions);
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "CPU needs no registration.");
        }
    }

    private string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(_contentRoot, path));

    /// <summary>
    /// The cause of an ONNX Runtime error in at most 120 characters: its messages put a source path and a function
    /// signature before the cause (e.g. "… Failed to load library libonnxruntime_providers_cuda.so with error:
    /// libcublasLt.so.12: cannot open shared object file"), so the tail after the last "error: " is what matters.
    /// </summary>
    private static string ShortReason(string message)
    {
        var line = FirstLine(message);
        var at = line.LastIndexOf("error: ", StringComparison.OrdinalIgnoreCase);
        var cause = at >= 0 ? line[(at + "error: ".Length)..] : line;
        return cause.Length <= 120 ? cause : cause[..117] + "...";
    }

    private static string FirstLine(string message)
    {
        var i = message.IndexOfAny(['\r', '\n']);
        return i < 0 ? message : message[..i];
    }
}

/// <summary>A TensorRT optimisation profile: <c>name:d0xd1x…</c> entries joined by commas, for min, opt and max.</summary>
internal sealed record TrtProfile(string Min, string Opt, string Max)
{
    /// <summary>
    /// Builds the profile for inputs whose shapes are given with the symbols <c>B</c> (batch) and <c>N</c> (frames),
    /// e.g. <c>("x", ["B", "N", "100"])</c>; the symbols take the min/opt/max values of <paramref name="options"/>.
    /// </summary>
    public static TrtProfile Build(IEnumerable<(string Name, string[] Dims)> inputs, TensorRtOptions options)
    {
        var list = inputs.ToList();
        return new TrtProfile(
            Format(list, options.MinBatch, options.MinFrames),
            Format(list, options.OptBatch, options.OptFrames),
            Format(list, options.MaxBatch, options.MaxFrames));
    }

    private static string Format(List<(string Name, string[] Dims)> inputs, int batch, int frames) =>
        string.Join(',', inputs.Select(i => i.Name + ":" + string.Join('x', i.Dims.Select(d => d switch
        {
            "B" => batch.ToString(CultureInfo.InvariantCulture),
            "N" => frames.ToString(CultureInfo.InvariantCulture),
            _ => d,
        }))));
}
