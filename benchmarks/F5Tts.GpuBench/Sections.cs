using System.Diagnostics;
using System.Globalization;
using F5Tts.Inference.Engine;
using static F5Tts.GpuBench.Report;

namespace F5Tts.GpuBench;

/// <summary>
/// The measured sections of one benchmark run over one engine: per stage at batch 1, end to end at batch 1, batch
/// throughput, and the Transformer's FLOP utilisation. Each prints its table and adds its part of the JSON report.
/// </summary>
internal sealed class Sections(ITtsEngine engine, Options o, float[] reference, int[] ids, int frames, Dictionary<string, object?> json)
{
    private const int SampleRate = GpuBench.SampleRate;
    private readonly CancellationToken _ct = CancellationToken.None;

    /// <summary>A request of the run's input: <paramref name="steps"/> EPSS steps, CFG 2, sway −1.</summary>
    public EngineInput Input(int steps, long seed) => new(reference, ids, frames, new SamplerSettings(NfeSteps: steps, CfgStrength: 2f, Sway: -1f, Seed: seed, UseEpss: true));

    /// <summary>Preprocess, one Transformer step and Decode at batch 1; returns the step times and the seconds of audio per item.</summary>
    public (List<double> Step, double AudioSeconds) PerStage()
    {
        var pre = new List<double>();
        for (var i = 0; i < o.Warmup + o.Iters; i++)
        {
            var sw = Stopwatch.StartNew();
            using var item = engine.Prepare(Input(32, i), _ct);
            if (i >= o.Warmup)
            {
                pre.Add(Ms(sw));
            }
        }

        var step = StepTimes();
        var (dec, audioSeconds) = DecodeTimes();
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
        return (step, audioSeconds);
    }

    private List<double> StepTimes()
    {
        var step = new List<double>();
        // With CUDA graphs each of the bucket's two graph ids (one per ping-pong parity) runs normally twice, then
        // captures: 6 untimed steps before the usual warm-up.
        var captureSteps = o.CudaGraphs ? 6 : 0;
        using (var item = engine.Prepare(new EngineInput(reference, ids, frames, new SamplerSettings(NfeSteps: captureSteps + o.Warmup + o.Iters + 1, Seed: 7, UseEpss: false)), _ct))
        {
            engine.RunStep([item], _ct); // membership change: uploads the conditioning, not a steady-state step
            for (var i = 0; i < captureSteps; i++)
            {
                engine.RunStep([item], _ct);
            }

            for (var i = 0; i < o.Warmup + o.Iters; i++)
            {
                var sw = Stopwatch.StartNew();
                engine.RunStep([item], _ct);
                if (i >= o.Warmup)
                {
                    step.Add(Ms(sw));
                }
            }
        }

        return step;
    }

    private (List<double> Times, double AudioSeconds) DecodeTimes()
    {
        var dec = new List<double>();
        var audioSeconds = 0.0;
        using (var item = engine.Prepare(Input(1, 3), _ct))
        {
            engine.RunStep([item], _ct);
            for (var i = 0; i < o.Warmup + o.Iters; i++)
            {
                var sw = Stopwatch.StartNew();
                var pcm = engine.Decode([item], _ct);
                if (i >= o.Warmup)
                {
                    dec.Add(Ms(sw));
                }

                audioSeconds = pcm[0].Length / (double)SampleRate;
            }
        }

        return (dec, audioSeconds);
    }

    /// <summary>Prepare + steps + Decode of one request at 32 and 16 steps.</summary>
    public void EndToEnd(double audioSeconds)
    {
        Console.WriteLine();
        Console.WriteLine($"## end to end, batch 1 (Prepare + steps + Decode; {o.E2eIters} timed after 1 warm-up); {audioSeconds:0.000} s of audio");
        Console.WriteLine("| steps | p50 ms | p95 ms | mean ms | RTF | audio rms | finite |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        var e2eJson = new Dictionary<string, object?>();
        foreach (var steps in new[] { 32, 16 })
        {
            var (times, rms, finite) = EndToEndTimes(steps);
            var s = Summary(times);
            var name = steps == 16 ? "16 (EPSS)" : "32 (uniform+sway)";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {s.P50:0.0} | {s.P95:0.0} | {s.Mean:0.0} | {s.P50 / 1000 / audioSeconds:0.0000} | {rms:0.0000} | {finite} |"));
            e2eJson[steps.ToString(CultureInfo.InvariantCulture)] = s;
            e2eJson[$"{steps}_rms"] = rms;
            e2eJson[$"{steps}_finite"] = finite;
        }

        json["e2e_ms"] = e2eJson;
    }

    private (List<double> Times, double Rms, bool Finite) EndToEndTimes(int steps)
    {
        var times = new List<double>();
        double rms = 0;
        var finite = true;
        for (var i = 0; i < o.E2eIters + 1; i++)
        {
            var sw = Stopwatch.StartNew();
            using var item = engine.Prepare(Input(steps, 100 + i), _ct);
            while (!item.IsComplete)
            {
                engine.RunStep([item], _ct);
            }

            var pcm = engine.Decode([item], _ct)[0];
            var ms = Ms(sw);
            if (i > 0)
            {
                times.Add(ms);
            }

            (rms, finite) = Check(pcm);
        }

        return (times, rms, finite);
    }

    /// <summary>B requests in one RunStep, 16 EPSS steps, for each batch of the run.</summary>
    public void Batches(DitDims dims, double peak)
    {
        Console.WriteLine();
        Console.WriteLine($"## batch throughput, 16 steps EPSS, B items of N={frames} in one RunStep ({o.BatchIters} timed after 1 warm-up)");
        Console.WriteLine("| B | wall p50 ms | Prepare ms | step mean ms | Decode ms | audio s/s | audio s/s (steps only) | TFLOP/s | util % |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var batchJson = new List<Dictionary<string, object?>>();
        foreach (var b in o.Batches)
        {
            var (walls, preTimes, stepMeans, decTimes, audio) = BatchTimes(b);
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
    }

    private (List<double> Walls, List<double> Prepare, List<double> StepMeans, List<double> Decode, double Audio) BatchTimes(int b)
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
                    items.Add(engine.Prepare(Input(16, (1000 * rep) + k), _ct));
                }

                var tPre = Ms(sw);
                var stepSw = Stopwatch.StartNew();
                var steps = 0;
                while (!items[0].IsComplete)
                {
                    engine.RunStep(items, _ct);
                    steps++;
                }

                var tSteps = Ms(stepSw);
                var decSw = Stopwatch.StartNew();
                var pcm = engine.Decode(items, _ct);
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

        return (walls, preTimes, stepMeans, decTimes, audio);
    }

    /// <summary>The analytic FLOP count of one step at batch 1 against the measured step time.</summary>
    public void Utilisation(DitDims dims, List<double> step, double peak, string peakWhat)
    {
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
}
