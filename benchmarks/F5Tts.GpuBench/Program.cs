using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.GpuBench;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Options;
using F5Tts.Inference.Text;
using Microsoft.Extensions.Logging;

// GPU harness of issue #11 (docs/benchmarks.md). Usage:
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
        /// <summary>The issue's test sentence.</summary>
        public const string Sentence = "这点请您放心，估计是我的号码被标记了，请问您是沈沈吗？";

        /// <summary>Reference transcript (upstream's basic_ref_zh example), only for T_text and the duration rule.</summary>
        public const string ReferenceText = "对，这就是我，万人敬仰的太乙真人。";

        private const int SampleRate = 24000;

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
                return Placement.ProfilePreprocess(o.Model, o.Tf32, o.PreferNhwc, o.Conv1dNc1d, o.CudnnSearch, o.ProfilePreprocess, o.Frames > 0 ? o.Frames : 680);
            }

            using var loggerFactory = new StderrLoggerFactory(o.Verbose ? LogLevel.Debug : LogLevel.Information);
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
            engineOptions.Cuda.CudnnConvAlgoSearch = o.CudnnSearch;
            engineOptions.Cuda.PreferNhwc = o.PreferNhwc;
            engineOptions.Cuda.Conv1dPadToNc1d = o.Conv1dNc1d;
            engineOptions.Cuda.SdpaKernel = o.SdpaKernel;
            engineOptions.StaticShapes = o.StaticShapes;
            engineOptions.FrameBucket = o.FrameBucket;
            engineOptions.Cpu.IntraOpThreads = o.CpuThreads;

            var load = Stopwatch.StartNew();
            using var engine = OnnxTtsEngineFactory.Create(o.Model, engineOptions, loggerFactory, Directory.GetCurrentDirectory());
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

            EngineInput Input(int steps, long seed) => new(reference, ids, frames, new SamplerSettings(NfeSteps: steps, CfgStrength: 2f, Sway: -1f, Seed: seed, UseEpss: true));
            if (o.ProfileBatch > 0)
            {
                return CudaProfiler.Run(engine, Input, o.ProfileBatch, 2);
            }

            var ct = CancellationToken.None;
            var json = new Dictionary<string, object?>
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
                ["prefer_nhwc"] = o.PreferNhwc,
                ["conv1d_pad_to_nc1d"] = o.Conv1dNc1d,
                ["sdpa_kernel"] = o.SdpaKernel,
                ["frames"] = frames,
                ["duration_rule_frames"] = rule.TotalFrames,
                ["text_tokens"] = ids.Length,
                ["reference_seconds"] = o.ReferenceSeconds,
                ["load_s"] = loadSeconds,
                ["warmup_s"] = warmSeconds,
            };

            // ---- per stage (batch 1)
            var pre = new List<double>();
            for (var i = 0; i < o.Warmup + o.Iters; i++)
            {
                var sw = Stopwatch.StartNew();
                using var item = engine.Prepare(Input(32, i), ct);
                if (i >= o.Warmup)
                {
                    pre.Add(Ms(sw));
                }
            }

            var step = new List<double>();
            // With CUDA graphs each of the bucket's two graph ids (one per ping-pong parity) runs normally twice, then
            // captures: 6 untimed steps before the usual warm-up.
            var captureSteps = o.CudaGraphs ? 6 : 0;
            using (var item = engine.Prepare(new EngineInput(reference, ids, frames, new SamplerSettings(NfeSteps: captureSteps + o.Warmup + o.Iters + 1, Seed: 7, UseEpss: false)), ct))
            {
                engine.RunStep([item], ct); // membership change: uploads the conditioning, not a steady-state step
                for (var i = 0; i < captureSteps; i++)
                {
                    engine.RunStep([item], ct);
                }

                for (var i = 0; i < o.Warmup + o.Iters; i++)
                {
                    var sw = Stopwatch.StartNew();
                    engine.RunStep([item], ct);
                    if (i >= o.Warmup)
                    {
                        step.Add(Ms(sw));
                    }
                }
            }

            var dec = new List<double>();
            var audioSeconds = 0.0;
            using (var item = engine.Prepare(Input(1, 3), ct))
            {
                engine.RunStep([item], ct);
                for (var i = 0; i < o.Warmup + o.Iters; i++)
                {
                    var sw = Stopwatch.StartNew();
                    var pcm = engine.Decode([item], ct);
                    if (i >= o.Warmup)
                    {
                        dec.Add(Ms(sw));
                    }

                    audioSeconds = pcm[0].Length / (double)SampleRate;
                }
            }

            Console.WriteLine();
            Console.WriteLine($"## per stage, batch 1, N={frames} ({o.Iters} timed after {o.Warmup} warm-up)");
            Console.WriteLine("| stage | p50 ms | p95 ms | mean ms |");
            Console.WriteLine("|---|---:|---:|---:|");
            Row("Preprocess", pre);
            Row("Transformer step (cond+uncond)", step);
            Row("Decode (Vocos + ISTFT)", dec);
            json["preprocess_ms"] = Summary(pre);
            json["step_ms"] = Summary(step);
            json["decode_ms"] = Summary(dec);
            json["audio_seconds_per_item"] = audioSeconds;

            // ---- end to end, batch 1
            Console.WriteLine();
            Console.WriteLine($"## end to end, batch 1 (Prepare + steps + Decode; {o.E2eIters} timed after 1 warm-up); {audioSeconds:0.000} s of audio");
            Console.WriteLine("| steps | p50 ms | p95 ms | mean ms | RTF | audio rms | finite |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
            var e2eJson = new Dictionary<string, object?>();
            foreach (var steps in new[] { 32, 16 })
            {
                var times = new List<double>();
                double rms = 0;
                var finite = true;
                for (var i = 0; i < o.E2eIters + 1; i++)
                {
                    var sw = Stopwatch.StartNew();
                    using var item = engine.Prepare(Input(steps, 100 + i), ct);
                    while (!item.IsComplete)
                    {
                        engine.RunStep([item], ct);
                    }

                    var pcm = engine.Decode([item], ct)[0];
                    var ms = Ms(sw);
                    if (i > 0)
                    {
                        times.Add(ms);
                    }

                    (rms, finite) = Check(pcm);
                }

                var s = Summary(times);
                var name = steps == 16 ? "16 (EPSS)" : "32 (uniform+sway)";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {s.P50:0.0} | {s.P95:0.0} | {s.Mean:0.0} | {s.P50 / 1000 / audioSeconds:0.0000} | {rms:0.0000} | {finite} |"));
                e2eJson[steps.ToString(CultureInfo.InvariantCulture)] = s;
                e2eJson[$"{steps}_rms"] = rms;
                e2eJson[$"{steps}_finite"] = finite;
            }

            json["e2e_ms"] = e2eJson;

            // ---- batch throughput, 16 steps (EPSS)
            Console.WriteLine();
            Console.WriteLine($"## batch throughput, 16 steps EPSS, B items of N={frames} in one RunStep ({o.BatchIters} timed after 1 warm-up)");
            Console.WriteLine("| B | wall p50 ms | Prepare ms | step mean ms | Decode ms | audio s/s | audio s/s (steps only) | TFLOP/s | util % |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var batchJson = new List<Dictionary<string, object?>>();
            foreach (var b in o.Batches)
            {
                var walls = new List<double>();
                var stepMeans = new List<double>();
                var preTimes = new List<double>();
                var decTimes = new List<double>();
                double audio = 0;
                // rep 0 is untimed: it also pays the first use of this batch's shape bucket (with --cuda-graphs the first
                // runs of each of the bucket's two graph ids, one per ping-pong parity, run normally and capture).
                for (var rep = 0; rep < o.BatchIters + 1; rep++)
                {
                    var items = new List<IEngineItem>(b);
                    try
                    {
                        var sw = Stopwatch.StartNew();
                        for (var k = 0; k < b; k++)
                        {
                            items.Add(engine.Prepare(Input(16, (1000 * rep) + k), ct));
                        }

                        var tPre = Ms(sw);
                        var stepSw = Stopwatch.StartNew();
                        var steps = 0;
                        while (!items[0].IsComplete)
                        {
                            engine.RunStep(items, ct);
                            steps++;
                        }

                        var tSteps = Ms(stepSw);
                        var decSw = Stopwatch.StartNew();
                        var pcm = engine.Decode(items, ct);
                        var tDec = Ms(decSw);
                        var wall = Ms(sw);
                        if (rep > 0)
                        {
                            walls.Add(wall);
                            preTimes.Add(tPre);
                            decTimes.Add(tDec);
                            stepMeans.Add(tSteps / steps);
                        }

                        audio = pcm.Sum(p => p.Length) / (double)SampleRate;
                    }
                    finally
                    {
                        foreach (var it in items)
                        {
                            it.Dispose();
                        }
                    }
                }

                var w = Summary(walls);
                var stepMean = stepMeans.Average();
                var flops = DitFlops.PerCall(dims, b, frames).Total;
                var tflops = flops / (stepMean / 1000) / 1e12;
                var util = peak > 0 ? 100 * tflops / peak : double.NaN;
                var throughput = audio / (w.P50 / 1000);
                var stepsOnly = audio / (stepMean * 16 / 1000);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {b} | {w.P50:0.0} | {preTimes.Average():0.0} | {stepMean:0.00} | {decTimes.Average():0.0} | {throughput:0.0} | {stepsOnly:0.0} | {tflops:0.0} | {util:0.0} |"));
                batchJson.Add(new Dictionary<string, object?>
                {
                    ["batch"] = b,
                    ["wall_ms"] = w,
                    ["prepare_ms"] = preTimes.Average(),
                    ["step_mean_ms"] = stepMean,
                    ["decode_ms"] = decTimes.Average(),
                    ["audio_s"] = audio,
                    ["audio_s_per_s"] = throughput,
                    ["audio_s_per_s_steps_only"] = stepsOnly,
                    ["step_tflops"] = tflops,
                    ["step_util_pct"] = util,
                });
            }

            json["batch"] = batchJson;

            // ---- FLOP utilisation at batch 1
            var (f1, qk1) = DitFlops.PerCall(dims, 1, frames);
            var stepP50 = Summary(step).P50;
            var tf1 = f1 / (stepP50 / 1000) / 1e12;
            Console.WriteLine();
            Console.WriteLine("## Transformer FLOP utilisation (analytic count, docs/benchmarks.md)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"B=1 (2 rows x {frames} frames): {f1 / 1e9:0.0} GFLOP per call (QK^T {qk1 / 1e9:0.0}); step p50 {stepP50:0.00} ms -> {tf1:0.0} TFLOP/s = {(peak > 0 ? 100 * tf1 / peak : double.NaN):0.00} % of {peak:0} TFLOP/s ({peakWhat})"));
            json["flops_per_call_b1"] = f1;
            json["step_tflops_b1"] = tf1;
            json["peak_tflops"] = peak;
            json["peak_what"] = peakWhat;
            json["step_util_pct_b1"] = peak > 0 ? 100 * tf1 / peak : null;

            var line = ToJson(json);
            Console.WriteLine();
            Console.WriteLine("GPUBENCH_JSON " + line);
            if (o.JsonOut is not null)
            {
                File.WriteAllText(o.JsonOut, line + "\n");
            }

            return 0;
        }

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

        private static (double Rms, bool Finite) Check(float[] pcm)
        {
            double sum = 0;
            var finite = true;
            foreach (var v in pcm)
            {
                if (!float.IsFinite(v))
                {
                    finite = false;
                    continue;
                }

                sum += (double)v * v;
            }

            return (pcm.Length == 0 ? 0 : Math.Sqrt(sum / pcm.Length), finite);
        }

        private static double Ms(Stopwatch sw) => sw.Elapsed.TotalMilliseconds;

        private static void Row(string name, List<double> values)
        {
            var s = Summary(values);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {s.P50:0.00} | {s.P95:0.00} | {s.Mean:0.00} |"));
        }

        internal static Stats Summary(List<double> values)
        {
            if (values.Count == 0)
            {
                return new Stats(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
            }

            var sorted = values.Order().ToArray();
            return new Stats(Percentile(sorted, 50), Percentile(sorted, 95), values.Average(), sorted[0], sorted[^1], values.Count);
        }

        /// <summary>Linear interpolation between closest ranks (numpy's default), so both harnesses agree.</summary>
        private static double Percentile(double[] sorted, double p)
        {
            var pos = (sorted.Length - 1) * p / 100;
            var lo = (int)Math.Floor(pos);
            var hi = Math.Min(lo + 1, sorted.Length - 1);
            return sorted[lo] + ((sorted[hi] - sorted[lo]) * (pos - lo));
        }

        private static string ToJson(Dictionary<string, object?> root)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                Write(w, root);
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private static void Write(Utf8JsonWriter w, object? value)
        {
            switch (value)
            {
                case null:
                    w.WriteNullValue();
                    break;
                case string s:
                    w.WriteStringValue(s);
                    break;
                case bool b:
                    w.WriteBooleanValue(b);
                    break;
                case int i:
                    w.WriteNumberValue(i);
                    break;
                case double d:
                    if (double.IsFinite(d))
                    {
                        w.WriteNumberValue(Math.Round(d, 4));
                    }
                    else
                    {
                        w.WriteNullValue();
                    }

                    break;
                case Stats st:
                    Write(w, new Dictionary<string, object?> { ["p50"] = st.P50, ["p95"] = st.P95, ["mean"] = st.Mean, ["min"] = st.Min, ["max"] = st.Max, ["n"] = st.Count });
                    break;
                case Dictionary<string, object?> dict:
                    w.WriteStartObject();
                    foreach (var (k, v) in dict)
                    {
                        w.WritePropertyName(k);
                        Write(w, v);
                    }

                    w.WriteEndObject();
                    break;
                case System.Collections.IEnumerable list:
                    w.WriteStartArray();
                    foreach (var v in list)
                    {
                        Write(w, v);
                    }

                    w.WriteEndArray();
                    break;
                default:
                    w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
            }
        }
    }

    /// <summary>Latency summary in milliseconds.</summary>
    internal readonly record struct Stats(double P50, double P95, double Mean, double Min, double Max, int Count);

    /// <summary>Command line.</summary>
    internal sealed class Options
    {
        public const string Usage =
            "usage: F5Tts.GpuBench --model DIR [--providers CUDA,CPU] [--tf32] [--frames 680 (0 = duration rule)] [--ref-seconds 3.0]\n" +
            "       [--warmup 3] [--iters 20] [--e2e-iters 5] [--batches 1,2,4,8,16] [--batch-iters 3] [--peak-tflops X]\n" +
            "       [--cpu-threads 0] [--label NAME] [--device-name NAME] [--json-out FILE] [--verbose] [--require-gpu]\n" +
            "       [--cuda-graphs] [--static-shapes] [--frame-bucket 64] [--cudnn-search EXHAUSTIVE|HEURISTIC|DEFAULT]\n" +
            "       F5Tts.GpuBench --model DIR --placement-only [--tf32]   (ORT verbose log of the Transformer's node placement, stderr)";

        public string Model { get; private set; } = string.Empty;

        public string Providers { get; private set; } = "CUDA,CPU";

        public bool Tf32 { get; private set; }

        public int Frames { get; private set; } = 680;

        public double ReferenceSeconds { get; private set; } = 3.0;

        public int Warmup { get; private set; } = 3;

        public int Iters { get; private set; } = 20;

        public int E2eIters { get; private set; } = 5;

        public int[] Batches { get; private set; } = [1, 2, 4, 8, 16];

        public int BatchIters { get; private set; } = 3;

        public double? PeakTflops { get; private set; }

        public int CpuThreads { get; private set; }

        public string Label { get; private set; } = "csharp";

        public string DeviceName { get; private set; } = "unknown";

        public string? JsonOut { get; private set; }

        public bool Verbose { get; private set; }

        public bool PlacementOnly { get; private set; }

        /// <summary>Graph file whose placement --placement-only reports (default F5_Transformer.onnx).</summary>
        public string PlacementGraph { get; private set; } = "F5_Transformer.onnx";

        /// <summary>ONNX Runtime profile of the Preprocess graph alone, written to this file prefix.</summary>
        public string? ProfilePreprocess { get; private set; }

        /// <summary>F5Tts:Engine:Cuda:PreferNhwc.</summary>
        public bool PreferNhwc { get; private set; }

        /// <summary>F5Tts:Engine:Cuda:Conv1dPadToNc1d.</summary>
        public bool Conv1dNc1d { get; private set; }

        /// <summary>F5Tts:Engine:Cuda:SdpaKernel (0: ONNX Runtime's choice).</summary>
        public int SdpaKernel { get; private set; }

        public bool RequireGpu { get; private set; }

        public int ProfileBatch { get; private set; }

        /// <summary>F5Tts:Engine:Cuda:CudaGraphs (implies static shapes).</summary>
        public bool CudaGraphs { get; private set; }

        /// <summary>F5Tts:Engine:StaticShapes.</summary>
        public bool StaticShapes { get; private set; }

        /// <summary>F5Tts:Engine:FrameBucket.</summary>
        public int FrameBucket { get; private set; } = 64;

        /// <summary>F5Tts:Engine:Cuda:CudnnConvAlgoSearch.</summary>
        public string CudnnSearch { get; private set; } = "HEURISTIC";

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--model": o.Model = Next(); break;
                    case "--providers": o.Providers = Next(); break;
                    case "--tf32": o.Tf32 = true; break;
                    case "--frames": o.Frames = Int(); break;
                    case "--ref-seconds": o.ReferenceSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--warmup": o.Warmup = Int(); break;
                    case "--iters": o.Iters = Int(); break;
                    case "--e2e-iters": o.E2eIters = Int(); break;
                    case "--batches": o.Batches = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                    case "--batch-iters": o.BatchIters = Int(); break;
                    case "--peak-tflops": o.PeakTflops = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--cpu-threads": o.CpuThreads = Int(); break;
                    case "--label": o.Label = Next(); break;
                    case "--device-name": o.DeviceName = Next(); break;
                    case "--json-out": o.JsonOut = Next(); break;
                    case "--verbose": o.Verbose = true; break;
                    case "--placement-only": o.PlacementOnly = true; break;
                    case "--placement-graph": o.PlacementGraph = Next(); break;
                    case "--profile-preprocess": o.ProfilePreprocess = Next(); break;
                    case "--prefer-nhwc": o.PreferNhwc = true; break;
                    case "--conv1d-nc1d": o.Conv1dNc1d = true; break;
                    case "--sdpa-kernel": o.SdpaKernel = Int(); break;
                    case "--require-gpu": o.RequireGpu = true; break;
                    case "--profile-batch": o.ProfileBatch = Int(); break;
                    case "--cuda-graphs": o.CudaGraphs = true; break;
                    case "--static-shapes": o.StaticShapes = true; break;
                    case "--frame-bucket": o.FrameBucket = Int(); break;
                    case "--cudnn-search": o.CudnnSearch = Next().ToUpperInvariant(); break;
                    default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
                }
            }

            if (string.IsNullOrWhiteSpace(o.Model))
            {
                throw new ArgumentException("--model is required.");
            }

            if (o.Iters < 1 || o.E2eIters < 1 || o.BatchIters < 1 || o.Warmup < 0 || o.Batches.Length == 0 || o.Batches.Any(b => b < 1))
            {
                throw new ArgumentException("Iteration counts must be ≥ 1 (warm-up ≥ 0) and batches positive.");
            }

            if (o.FrameBucket is < 1 or > 4096 || o.CudnnSearch is not ("EXHAUSTIVE" or "HEURISTIC" or "DEFAULT"))
            {
                throw new ArgumentException("--frame-bucket must be 1..4096 and --cudnn-search EXHAUSTIVE, HEURISTIC or DEFAULT.");
            }

            return o;
        }
    }
}
