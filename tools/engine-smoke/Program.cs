using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

// usage: F5Tts.EngineSmoke FIXTURES_DIR [FULL_MODEL_DIR|-] [PROVIDERS] [BATCHED_FIXTURES]
// Golden parity of tests/fixtures on the given provider chain (default CUDA,CPU; TF32 off), then timings of a
// full-size f5tts-batched/1 model when a directory is given. Exit code 1 when a parity check fails. With CUDA in the
// chain the batched parity runs a second time with CUDA graphs (static shape buckets, docs/engine.md), same tolerances,
// plus six Decodes at one bucket (capture and replays of the Decode graph) against the golden audio;
// a full-size model is then timed in both modes. BATCHED_FIXTURES: comma-separated model directories under
// FIXTURES_DIR/models that share the tiny-v1-batched golden data (default tiny-v1-batched; e.g.
// tiny-v1-batched-fused,tiny-v1-batched-f5ops).
var fixtures = args.Length > 0 ? args[0] : "tests/fixtures";
// FULL_MODEL_DIR may name two exports of the same weights ("A,B", e.g. fused and f5ops): both are timed, and their
// Transformer outputs for identical inputs are compared after 1 and after 32 steps.
var fullDirs = args.Length > 1 && args[1] != "-" ? args[1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
var full = fullDirs.Length > 0 ? fullDirs[0] : null;
var chain = args.Length > 2 ? args[2] : "CUDA,CPU";
var batchedModels = (args.Length > 3 ? args[3] : "tiny-v1-batched").Split(',', StringSplitOptions.RemoveEmptyEntries);
using var logs = new ConsoleLoggerFactory();
var failures = 0;

Console.WriteLine($"ORT providers available: {string.Join(',', OrtEnv.Instance().GetAvailableProviders())}");
var options = new EngineOptions
{
    TransformerProviders = "TensorRT," + chain,
    PreprocessProviders = chain,
    DecodeProviders = chain,
    MaxBatchSize = 8,
    Cuda = { UseTf32 = false },
};

void Check(string what, double error, double tolerance)
{
    var ok = error <= tolerance;
    failures += ok ? 0 : 1;
    Console.WriteLine($"  {(ok ? "PASS" : "FAIL")} {what}: max abs {error:E3} (tolerance {tolerance:E1})");
}

static double MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    if (a.Length != b.Length)
    {
        return double.PositiveInfinity;
    }

    var m = 0.0;
    for (var i = 0; i < a.Length; i++)
    {
        m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
    }

    return m;
}

var withCuda = chain.Contains("CUDA", StringComparison.OrdinalIgnoreCase);
EngineOptions GraphOptions() => new()
{
    TransformerProviders = options.TransformerProviders,
    PreprocessProviders = options.PreprocessProviders,
    DecodeProviders = options.DecodeProviders,
    MaxBatchSize = options.MaxBatchSize,
    Cuda = { UseTf32 = false, CudaGraphs = true },
};

// ---- batched golden parity (exact shapes, then CUDA graphs) ----
foreach (var model in batchedModels)
{
    BatchedParity(options, model, "exact shapes");
    if (withCuda)
    {
        BatchedParity(GraphOptions(), model, "CUDA graphs");
    }
}

void BatchedParity(EngineOptions engineOptions, string model, string mode)
{
    var g = new Golden(Path.Combine(fixtures, "golden", "tiny-v1-batched"));
    using var engine = (BatchedF5Engine)OnnxTtsEngineFactory.Create(Path.Combine(fixtures, "models", model), engineOptions, logs);
    Console.WriteLine($"batched {model} [{mode}]: providers {Json(engine.Description.ProvidersByStage)}; latents: {engine.ResidencyMode}");
    EngineInput Input(string item, int nfe, long? seed = null, bool goldenNoise = true) => new(g.F(item + ".audio"), g.I(item + ".text_ids"), (int)g.L(item + ".total_frames")[0],
        new SamplerSettings(NfeSteps: nfe, Seed: seed), 1f, goldenNoise ? g.F(item + ".noise") : null);

    foreach (var (name, nfe) in new[] { ("a", 8), ("a", 7), ("b", 8) })
    {
        using var item = (BatchedItem)engine.Prepare(Input(name, nfe), CancellationToken.None);
        Check($"{name}.cond", MaxAbs(g.F(name + ".cond"), item.Cond), 1e-3);
        while (!item.IsComplete)
        {
            engine.RunStep([item], CancellationToken.None);
        }

        var audio = engine.Decode([item], CancellationToken.None)[0];
        Check($"{name}.nfe{nfe} final x", MaxAbs(g.F($"{name}.nfe{nfe}.x_step{nfe}"), item.Latent), 1e-3);
        Check($"{name}.nfe{nfe} audio", MaxAbs(g.F($"{name}.nfe{nfe}.audio"), audio), 1e-3);
    }

    using (var a = (BatchedItem)engine.Prepare(Input("a", 8), CancellationToken.None))
    using (var b = (BatchedItem)engine.Prepare(Input("b", 8), CancellationToken.None))
    {
        engine.RunStep([a], CancellationToken.None);
        engine.RunStep([a], CancellationToken.None);
        var active = new List<IEngineItem> { a, b };
        while (active.Count > 0)
        {
            engine.RunStep(active, CancellationToken.None);
            active.RemoveAll(i => i.IsComplete);
        }

        engine.Decode([a, b], CancellationToken.None);
        Check("a (b joined at step 2) vs golden", MaxAbs(g.F("a.nfe8.x_step8"), a.Latent), 1e-3);
        Check("b (joined running batch) vs golden", MaxAbs(g.F("b.nfe8.x_step8"), b.Latent), 1e-3);
    }

    float[] Seeded(long seed)
    {
        using var item = engine.Prepare(Input("b", 8, seed, goldenNoise: false), CancellationToken.None);
        while (!item.IsComplete)
        {
            engine.RunStep([item], CancellationToken.None);
        }

        return engine.Decode([item], CancellationToken.None)[0];
    }

    var s1 = Seeded(2024);
    var s2 = Seeded(2024);
    // Bit-identical on CPU; cuBLAS/cuDNN kernels may pick differently rounded algorithms between runs on a GPU
    // (measured 3e-8 on an H100), so the GPU bound is 1e-6.
    Check("same seed twice", MaxAbs(s1, s2), chain.StartsWith("CPU", StringComparison.OrdinalIgnoreCase) ? 0 : 1e-6);
    if (engine.StaticMode is { } staticMode)
    {
        Console.WriteLine($"  {staticMode.Mode}: {staticMode.GraphIds} graph ids used, captures graphs: {staticMode.CapturesGraphs}");
    }

    DecodeReplays(engine, g);
}

// The bucketed Decode (docs/engine.md "CUDA graphs and shape buckets"): the golden mel of a and b decoded as one chunk
// six times at one bucket — with Decode graphs two regular runs, the capture, then replays — each against the golden
// audio (1e-4, as the Decode check of the tests), and every run against the first.
void DecodeReplays(BatchedF5Engine engine, Golden g)
{
    if (engine.StaticDecode is not { } decode)
    {
        return;
    }

    BatchedItem Mel(string name)
    {
        var total = (int)g.L(name + ".total_frames")[0];
        var refFrames = (int)g.L(name + ".ref_frames")[0];
        var latent = new float[total * 100];
        g.F(name + ".nfe8.mel_generated").CopyTo(latent, refFrames * 100);
        return new BatchedItem(engine, total, refFrames, TimeGrid.Create(8, -1f), 2f, 1f, [], [], latent);
    }

    using var a = Mel("a");
    using var b = Mel("b");
    IReadOnlyList<float[]>? first = null;
    double golden = 0, repeat = 0;
    for (var run = 0; run < 6; run++)
    {
        var audio = engine.Decode([a, b], CancellationToken.None);
        golden = Math.Max(golden, Math.Max(MaxAbs(g.F("a.nfe8.audio"), audio[0]), MaxAbs(g.F("b.nfe8.audio"), audio[1])));
        first ??= audio;
        repeat = Math.Max(repeat, Math.Max(MaxAbs(first[0], audio[0]), MaxAbs(first[1], audio[1])));
    }

    Check($"Decode bucket {decode.LastBucket} × 6 vs golden", golden, 1e-4);
    Check("Decode runs 2–6 vs run 1 (replays)", repeat, 1e-6);
    Console.WriteLine($"  Decode {decode.Mode}: {decode.GraphIds} graph ids used, captures graphs: {decode.CapturesGraphs}");
}

// ---- dakeqq golden parity ----
{
    var g = new Golden(Path.Combine(fixtures, "golden", "tiny-v1-dakeqq"));
    using var engine = (DakeqqF5Engine)OnnxTtsEngineFactory.Create(Path.Combine(fixtures, "models", "tiny-v1-dakeqq"), options, logs);
    Console.WriteLine($"dakeqq tiny-v1: providers {Json(engine.Description.ProvidersByStage)}; latents: {engine.Memory.Mode}");
    var input = new EngineInput(g.S("audio").Select(s => s / 32768f).ToArray(), g.I("text_ids"), (int)g.L("max_duration")[0], new SamplerSettings(NfeSteps: 31), 1f, g.F("noise"));
    using var item = (DakeqqF5Engine.DakeqqItem)engine.Prepare(input, CancellationToken.None);
    while (!item.IsComplete)
    {
        engine.RunStep([item], CancellationToken.None);
    }

    Check("dakeqq after call 31", MaxAbs(g.F("denoised_step31"), item.LatestOnHost(engine.Memory).GetTensorDataAsSpan<float>()), 1e-3);
    var audio = engine.Decode([item], CancellationToken.None)[0];
    Check("dakeqq audio (8 LSB)", MaxAbs(g.S("output_audio").Select(s => s / 32767f).ToArray(), audio), 8.0 / 32767);
}

// ---- full-size timings ----
foreach (var dir in fullDirs)
{
    Timings(options, dir);
    if (withCuda)
    {
        Timings(GraphOptions(), dir);
    }
}

if (fullDirs.Length == 2)
{
    CompareExports(withCuda ? GraphOptions() : options, fullDirs[0], fullDirs[1]);
}

void CompareExports(EngineOptions engineOptions, string dirA, string dirB)
{
    // The same weights exported two ways must agree to fp16 rounding: after one step the states differ by the
    // kernels' rounding only; over 32 steps the ODE integrates those differences (random weights, no contraction).
    const int N = 680;
    var refAudio = GaussianNoise.Generate(3, 72000).Select(v => v * 0.1f).ToArray();
    var ids = Enumerable.Range(0, 120).Select(i => 1 + (i * 37 % 2000)).ToArray();
    var states = new List<(float[] One, float[] All)>();
    foreach (var dir in new[] { dirA, dirB })
    {
        using var engine = (BatchedF5Engine)OnnxTtsEngineFactory.Create(dir, engineOptions, logs);
        using var item = (BatchedItem)engine.Prepare(new EngineInput(refAudio, ids, N, new SamplerSettings(NfeSteps: 32, Seed: 7)), CancellationToken.None);
        engine.RunStep([item], CancellationToken.None);
        engine.Decode([item], CancellationToken.None); // brings the device-resident latents back into item.Latent
        var one = item.Latent.ToArray();
        while (!item.IsComplete)
        {
            engine.RunStep([item], CancellationToken.None);
        }

        engine.Decode([item], CancellationToken.None);
        states.Add((one, item.Latent.ToArray()));
    }

    double Scale(float[] a) => a.Max(v => Math.Abs((double)v));
    var e1 = MaxAbs(states[0].One, states[1].One);
    var e32 = MaxAbs(states[0].All, states[1].All);
    Console.WriteLine($"compare {Path.GetFileName(dirA)} vs {Path.GetFileName(dirB)}: after 1 step max abs {e1:E3} (state max {Scale(states[0].One):F2}); after 32 steps max abs {e32:E3} (state max {Scale(states[0].All):F2})");
    Check("exports agree after 1 step (fp16, relative to the state's max)", e1 / Scale(states[0].One), 1e-2);
}

void Timings(EngineOptions engineOptions, string modelDir)
{
    var sw = Stopwatch.StartNew();
    using var engine = OnnxTtsEngineFactory.Create(modelDir, engineOptions, logs);
    Console.WriteLine($"full model {engine.Description.Model} {engine.Description.Precision}: load {sw.Elapsed.TotalSeconds:F1} s; providers {Json(engine.Description.ProvidersByStage)}");
    sw.Restart();
    engine.WarmUp(CancellationToken.None);
    Console.WriteLine($"  warm-up {sw.Elapsed.TotalSeconds:F1} s");

    const int N = 680;
    var refAudio = GaussianNoise.Generate(3, 72000).Select(v => v * 0.1f).ToArray(); // 3 s
    var ids = Enumerable.Range(0, 120).Select(i => 1 + (i * 37 % 2000)).ToArray();
    EngineInput Synth(long seed) => new(refAudio, ids, N, new SamplerSettings(NfeSteps: 32, Seed: seed));

    var pre = new List<double>();
    for (var r = 0; r < 5; r++)
    {
        sw.Restart();
        using var item = engine.Prepare(Synth(r), CancellationToken.None);
        pre.Add(sw.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine($"  preprocess B=1 N={N}: {Stats(pre)}");
    foreach (var batch in new[] { 1, 8 })
    {
        var items = Enumerable.Range(0, batch).Select(i => engine.Prepare(Synth(100 + i), CancellationToken.None)).ToList();
        var steps = new List<double>();
        while (!items[0].IsComplete)
        {
            sw.Restart();
            engine.RunStep(items, CancellationToken.None);
            steps.Add(sw.Elapsed.TotalMilliseconds);
        }

        // With CUDA graphs the first runs of each of the bucket's two graph ids run normally, then capture.
        var skip = engineOptions.Cuda.CudaGraphs ? 6 : 1;
        sw.Restart();
        var audio = engine.Decode(items, CancellationToken.None);
        var decode = sw.Elapsed.TotalMilliseconds;
        var seconds = audio.Sum(a => a.Length) / 24000.0;
        var total = steps.Sum() + decode;
        Console.WriteLine($"  B={batch} N={N} 32 steps: transformer step {Stats(steps.Skip(skip).ToList())} (first {steps[0]:F1} ms, sum {steps.Sum():F0} ms); decode {decode:F1} ms; " +
            $"{seconds:F1} s audio → {seconds / (total / 1000):F1} s audio/s (transformer+decode)");
        items.ForEach(i => i.Dispose());
    }
}

Console.WriteLine(failures == 0 ? "SMOKE OK" : $"SMOKE FAILED ({failures} checks)");
return failures == 0 ? 0 : 1;

static string Stats(List<double> ms)
{
    var s = ms.Order().ToList();
    return $"p50 {s[s.Count / 2]:F2} ms, p95 {s[(int)Math.Min(s.Count - 1, Math.Ceiling(s.Count * 0.95) - 1)]:F2} ms, mean {s.Average():F2} ms (n={s.Count})";
}

static string Json(IReadOnlyDictionary<string, string> d) => string.Join(", ", d.Select(kv => $"{kv.Key}={kv.Value}"));

/// <summary>Minimal reader of the exporter's golden format (tests/fixtures/README.md).</summary>
internal sealed class Golden
{
    private readonly byte[] _bin;
    private readonly Dictionary<string, (int Offset, int Length)> _t = [];

    public Golden(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "golden.json")));
        foreach (var t in doc.RootElement.GetProperty("tensors").EnumerateArray())
        {
            _t[t.GetProperty("name").GetString()!] = (t.GetProperty("offset").GetInt32(), t.GetProperty("length").GetInt32());
        }

        _bin = File.ReadAllBytes(Path.Combine(dir, "golden.bin"));
    }

    public float[] F(string n) => Cast<float>(n);

    public int[] I(string n) => Cast<int>(n);

    public long[] L(string n) => Cast<long>(n);

    public short[] S(string n) => Cast<short>(n);

    private T[] Cast<T>(string n)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(_bin.AsSpan(_t[n].Offset, _t[n].Length)).ToArray();
}

/// <summary>Console logger (no extra packages on the GPU machine).</summary>
internal sealed class ConsoleLoggerFactory : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new L();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class L : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.WriteLine($"[{logLevel}] {formatter(state, exception)}");
            }
        }
    }
}
