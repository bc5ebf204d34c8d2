using System.Diagnostics;
using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.GpuBench;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Options;
using F5Tts.Inference.Text;
using Microsoft.Extensions.Logging;

// GPU harness (docs/benchmarks.md). Usage:
//   F5Tts.GpuBench --model DIR [--providers CUDA,CPU] [--tf32] [--frames 680] [--iters 20] [--e2e-iters 5]
//                  [--batches 1,2,4,8,16] [--batch-iters 3] [--peak-tflops X] [--label NAME] [--device-name NAME]
//                  [--json-out FILE] [--cuda-graphs] [--static-shapes] [--frame-bucket 64]
//                  [--cudnn-search EXHAUSTIVE|HEURISTIC|DEFAULT]
// Prints per-stage p50/p95, end-to-end latency at 32 and 16 (EPSS) steps, batch throughput (16 steps) and the
// Transformer's FLOP utilisation, then one line "GPUBENCH_JSON {...}".
return GpuBench.Run(args);

namespace F5Tts.GpuBench
{
    internal static class GpuBench
    {
        /// <summary>The benchmark's test sentence.</summary>
        public const string Sentence = "这点请您放心，估计是我的号码被标记了，请问您是沈沈吗？";

        /// <summary>Reference transcript (upstream's basic_ref_zh example), only for T_text and the duration rule.</summary>
        public const string ReferenceText = "对，这就是我，万人敬仰的太乙真人。";

        public const int SampleRate = 24000;

        public static int Run(string[] args)
        {
            Options o;
            try
            {
                o = Options.Parse(args);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine(Options.Usage);
                return 2;
            }

            if (o.PlacementOnly)
            {
                return Placement.Print(o.Model, o.Tf32, o.PlacementGraph);
            }

            if (o.ProfilePreprocess is not null)
            {
                return Placement.ProfilePreprocess(o.Model, o.Tf32, o.CudnnSearch, o.ProfilePreprocess, o.Frames > 0 ? o.Frames : 680);
            }

            using var loggerFactory = new StderrLoggerFactory(o.Verbose ? LogLevel.Debug : LogLevel.Information);
            var load = Stopwatch.StartNew();
            using var engine = OnnxTtsEngineFactory.Create(o.Model, EngineOptionsFor(o), loggerFactory, Directory.GetCurrentDirectory());
            var loadSeconds = load.Elapsed.TotalSeconds;
            var desc = engine.Description;
            var gpu = desc.ProvidersByStage.TryGetValue("transformer", out var trProviders) && (trProviders.StartsWith("CUDA", StringComparison.Ordinal) || trProviders.StartsWith("TensorRT", StringComparison.Ordinal));
            if (o.RequireGpu && !gpu)
            {
                Console.Error.WriteLine($"--require-gpu: the Transformer runs on {trProviders}, not on the GPU (see the provider warnings above).");
                return 5;
            }

            var warm = Stopwatch.StartNew();
            engine.WarmUp(CancellationToken.None);
            var warmSeconds = warm.Elapsed.TotalSeconds;
            var dims = DitDims.Load(Path.GetFullPath(o.Model));

            // Text: the real front-end on the model's vocabulary; N from the duration rule unless --frames fixes it.
            var frontEnd = new TextFrontEnd(new TextOptions(), Vocabulary.Load(Path.Combine(o.Model, "vocab.txt")));
            var tokens = frontEnd.Tokenize(Sentence, ReferenceText);
            var reference = ReferenceAudio(o.ReferenceSeconds);
            var rule = frontEnd.ComputeDuration(tokens, reference.Length, 1.0, desc.MaxFrames);
            var frames = o.Frames > 0 ? o.Frames : rule.TotalFrames;
            var ids = tokens.Ids;

            var peak = o.PeakTflops ?? (gpu ? (desc.Precision == "fp16" ? 989.0 : o.Tf32 ? 494.0 : 67.0) : 0.0);
            var peakWhat = o.PeakTflops is not null ? "given" : !gpu ? "none (CPU)" : desc.Precision == "fp16" ? "H100 SXM dense fp16 tensor" : o.Tf32 ? "H100 SXM dense tf32 tensor" : "H100 SXM fp32 non-tensor";

            Console.WriteLine($"# F5Tts.GpuBench {o.Label}: model {desc.Model} ({desc.Precision}), providers {string.Join("; ", desc.ProvidersByStage.Select(kv => kv.Key + "=" + kv.Value))}, tf32 {(o.Tf32 ? "on" : "off")}, device {o.DeviceName}");
            Console.WriteLine($"# load {loadSeconds:0.0} s, warm-up {warmSeconds:0.0} s; DiT {dims.Name}: D={dims.Dim} depth={dims.Depth} H={dims.Heads} FFN={dims.FfMult * dims.Dim}");
            Console.WriteLine($"# input: reference {o.ReferenceSeconds:0.0} s synthetic ({reference.Length} samples), T_text={ids.Length} (reference transcript {tokens.ReferenceTextBytes} B + sentence {tokens.GeneratedTextBytes} B), duration rule N={rule.TotalFrames}, used N={frames}{(o.Frames > 0 ? " (fixed by --frames)" : string.Empty)}");

            var json = ReportHeader(o, desc, trProviders, frames, rule.TotalFrames, ids.Length, loadSeconds, warmSeconds);
            var sections = new Sections(engine, o, reference, ids, frames, json);
            if (o.ProfileBatch > 0)
            {
                return CudaProfiler.Run(engine, sections.Input, o.ProfileBatch, 2);
            }

            if (o.ProfileRequest > 0)
            {
                return CudaProfiler.Request(engine, sections.Input, o.ProfileRequest, gpu);
            }

            if (o.LanesRepro > 0)
            {
                return LanesRepro.Run(engine, (n, steps, seed) => sections.Input(steps, seed) with { TotalFrames = n }, o.LanesRepro, o.ReproStall, o.ReproPrecapture, o.ReproPrepareThreads);
            }

            var (step, audioSeconds) = sections.PerStage();
            sections.EndToEnd(audioSeconds);
            sections.Batches(dims, peak);
            sections.Utilisation(dims, step, peak, peakWhat);

            var line = Report.ToJson(json);
            Console.WriteLine();
            Console.WriteLine("GPUBENCH_JSON " + line);
            if (o.JsonOut is not null)
            {
                File.WriteAllText(o.JsonOut, line + "\n");
            }

            return 0;
        }

        private static EngineOptions EngineOptionsFor(Options o)
        {
            var engineOptions = new EngineOptions
            {
                TransformerProviders = o.Providers,
                PreprocessProviders = o.Providers,
                DecodeProviders = o.Providers,
                MaxBatchSize = Math.Max(o.Batches.DefaultIfEmpty(1).Max(), 2),
                WarmUpFrames = o.Frames > 0 ? o.Frames : 680,
            };
            engineOptions.Cuda.UseTf32 = o.Tf32;
            engineOptions.Cuda.CudaGraphs = o.CudaGraphs;
            engineOptions.Cuda.PreprocessCudaGraphs = !o.NoStageGraphs;
            engineOptions.Cuda.DecodeCudaGraphs = !o.NoStageGraphs;
            engineOptions.Cuda.CudnnConvAlgoSearch = o.CudnnSearch;
            engineOptions.Cuda.SdpaKernel = o.SdpaKernel;
            engineOptions.StaticShapes = o.StaticShapes;
            engineOptions.FrameBucket = o.FrameBucket;
            engineOptions.Cpu.IntraOpThreads = o.CpuThreads;
            return engineOptions;
        }

        private static Dictionary<string, object?> ReportHeader(Options o, EngineDescription desc, string? trProviders, int frames, int ruleFrames, int textTokens, double loadSeconds, double warmSeconds) => new()
        {
            ["label"] = o.Label,
            ["device"] = o.DeviceName,
            ["model"] = desc.Model,
            ["precision"] = desc.Precision,
            ["providers"] = trProviders,
            ["tf32"] = o.Tf32,
            ["cuda_graphs"] = o.CudaGraphs,
            ["static_shapes"] = o.StaticShapes || o.CudaGraphs,
            ["frame_bucket"] = o.FrameBucket,
            ["cudnn_search"] = o.CudnnSearch,
            ["sdpa_kernel"] = o.SdpaKernel,
            ["frames"] = frames,
            ["duration_rule_frames"] = ruleFrames,
            ["text_tokens"] = textTokens,
            ["reference_seconds"] = o.ReferenceSeconds,
            ["load_s"] = loadSeconds,
            ["warmup_s"] = warmSeconds,
        };

    /// <summary>A deterministic voice-like 24 kHz clip: a 120 Hz harmonic tone with slow vibrato and amplitude
    /// envelope plus a little noise (random weights make the content irrelevant; only the length matters).</summary>
    private static float[] ReferenceAudio(double seconds)
    {
        var n = (int)Math.Round(seconds * SampleRate);
        var pcm = new float[n];
        var rng = new Random(12345);
        double phase = 0;
        for (var i = 0; i < n; i++)
        {
            var t = i / (double)SampleRate;
            var f0 = 120 + (15 * Math.Sin(2 * Math.PI * 0.7 * t));
            phase += 2 * Math.PI * f0 / SampleRate;
            var env = 0.5 + (0.5 * Math.Sin(2 * Math.PI * 3 * t));
            var v = 0.0;
            for (var h = 1; h <= 8; h++)
            {
                v += Math.Sin(h * phase) / h;
            }

            pcm[i] = (float)((0.12 * env * v) + (0.005 * ((rng.NextDouble() * 2) - 1)));
        }

        return pcm;
    }
    }
}
