using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests;

/// <summary>
/// Golden parity of the f5tts-batched/1 engine with the exporter's PyTorch reference (tests/fixtures, tiny-v1, fp32,
/// CPU provider). Tolerances (tests/fixtures/README.md measured 9.3e-5 on cond, 3.5e-5 on final x, 1.1e-8 on audio):
/// 1e-3 on Preprocess outputs and multi-step states, 1e-4 on one step from golden inputs and on Decode from the
/// golden mel, 1e-3 on the end-to-end audio. The same checks run on the plain export, on the fused-attention export
/// (<see cref="FusedBatchedGoldenTests"/>) and on the f5tts.ops export (<see cref="F5OpsBatchedGoldenTests"/>): every
/// graph of the same weights must reproduce one reference.
/// </summary>
public class BatchedGoldenTests : IDisposable
{
    private readonly GoldenData _g = GoldenData.Load("tiny-v1-batched");
    private readonly ListLoggerFactory _logs = new();
    private readonly BatchedF5Engine _engine;
    private readonly string? _fp16Model;

    public BatchedGoldenTests()
        : this("tiny-v1-batched", "tiny-v1-batched-fp16")
    {
    }

    /// <param name="model">The fixture under test.</param>
    /// <param name="fp16Model">Its fp16 twin, or null where the fixture set has none (the fp16 check is skipped).</param>
    protected BatchedGoldenTests(string model, string? fp16Model)
    {
        _fp16Model = fp16Model;
        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU", MaxBatchSize = 4, WarmUpFrames = 200 };
        _engine = (BatchedF5Engine)OnnxTtsEngineFactory.Create(Fixtures.Model(model), options, _logs);
    }

    public void Dispose()
    {
        _engine.Dispose();
        GC.SuppressFinalize(this);
    }

    private EngineInput Input(string item, int nfe, long? seed = null, bool goldenNoise = true) => new(
        _g.Floats(item + ".audio"),
        _g.Ints(item + ".text_ids"),
        (int)_g.Longs(item + ".total_frames")[0],
        new SamplerSettings(NfeSteps: nfe, CfgStrength: 2f, Sway: -1f, Seed: seed),
        1f,
        goldenNoise ? _g.Floats(item + ".noise") : null);

    /// <summary>An item built from the golden Preprocess outputs, so Transformer/Decode are compared on equal inputs.</summary>
    private BatchedItem GoldenItem(string item, int nfe) => new(
        _engine,
        (int)_g.Longs(item + ".total_frames")[0],
        (int)_g.Longs(item + ".ref_frames")[0],
        TimeGrid.Create(nfe, -1f),
        2f,
        1f,
        _g.Floats(item + ".cond"),
        _g.Floats(item + ".cond_drop"),
        _g.Floats(item + ".noise"));

    private float[] Latent(BatchedItem item)
    {
        // Decode syncs the batch's latents back into the item; an empty-output decode is not needed for that.
        _engine.Decode([item], CancellationToken.None);
        return item.Latent;
    }

    [Fact]
    public void Loads_as_batched_contract_on_cpu()
    {
        var d = _engine.Description;
        Assert.Equal("f5tts-batched/1", d.Contract);
        Assert.Equal("tiny-v1", d.Model);
        Assert.Equal("fp32", d.Precision);
        Assert.Equal(4096, d.MaxFrames);
        Assert.Equal(24000, d.SampleRate);
        Assert.All(d.ProvidersByStage.Values, v => Assert.Equal("CPU", v));
    }

    [Theory]
    [InlineData(8, "a.nfe8")]
    [InlineData(7, "a.nfe7")]
    public void Host_time_grid_matches_exporter(int nfe, string key)
    {
        var grid = TimeGrid.Create(nfe, -1f);
        Close.Assert(_g.Floats(key + ".t"), grid.Times[..nfe], 1e-6, "t");
        Close.Assert(_g.Floats(key + ".dt"), grid.Deltas, 1e-6, "dt");
        Close.Assert(_g.Doubles(key + ".time_grid").Select(v => (float)v).ToArray(), grid.Times, 1e-6, "grid");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void Preprocess_matches_golden(string item)
    {
        using var prepared = (BatchedItem)_engine.Prepare(Input(item, 8), CancellationToken.None);
        Assert.Equal(_g.Longs(item + ".ref_frames")[0], prepared.ReferenceFrames);
        Assert.Equal(_g.Longs(item + ".total_frames")[0], prepared.TotalFrames);
        Close.Assert(_g.Floats(item + ".cond"), prepared.Cond, 1e-3, "cond");
        Close.Assert(_g.Floats(item + ".cond_drop"), prepared.CondDrop, 1e-3, "cond_drop");
    }

    [Fact]
    public void One_step_from_golden_inputs_matches()
    {
        using var item = GoldenItem("a", 8);
        _engine.RunStep([item], CancellationToken.None);
        Close.Assert(_g.Floats("a.nfe8.x_step1"), Latent(item), 1e-4, "x after step 1");
    }

    [Theory]
    [InlineData(8, "a.nfe8")]
    [InlineData(7, "a.nfe7")]
    public void All_steps_from_golden_inputs_match(int nfe, string key)
    {
        using var item = GoldenItem("a", nfe);
        while (!item.IsComplete)
        {
            _engine.RunStep([item], CancellationToken.None);
        }

        Close.Assert(_g.Floats($"{key}.x_step{nfe}"), Latent(item), 1e-3, "final x");
    }

    [Fact]
    public void Decode_of_golden_mel_matches()
    {
        using var item = GoldenItem("a", 8);
        var refFrames = item.ReferenceFrames;
        _g.Floats("a.nfe8.mel_generated").CopyTo(item.Latent, refFrames * 100);
        item.StepsDone = item.StepsTotal;
        var audio = _engine.Decode([item], CancellationToken.None)[0];
        Close.Assert(_g.Floats("a.nfe8.audio"), audio, 1e-4, "audio");
    }

    [Theory]
    [InlineData("a", 8)]
    [InlineData("a", 7)]
    [InlineData("b", 8)]
    public void End_to_end_audio_matches(string name, int nfe)
    {
        using var item = _engine.Prepare(Input(name, nfe), CancellationToken.None);
        while (!item.IsComplete)
        {
            _engine.RunStep([item], CancellationToken.None);
        }

        var audio = _engine.Decode([item], CancellationToken.None)[0];
        Close.Assert(_g.Floats($"{name}.nfe{nfe}.audio"), audio, 1e-3, "audio");
    }

    [Fact]
    public void Padded_batch_matches_golden_batch_and_each_alone()
    {
        using var a = GoldenItem("a", 8);
        using var b = GoldenItem("b", 8);
        while (!a.IsComplete)
        {
            _engine.RunStep([a, b], CancellationToken.None);
        }

        _engine.Decode([a, b], CancellationToken.None);
        var batch = _g.Floats("batch.x_step8");
        var n = (int)_g.Shape("batch.x_step8")[1];
        Close.Assert(batch.AsSpan(0, a.TotalFrames * 100), a.Latent, 1e-3, "a in batch vs golden batch");
        Close.Assert(batch.AsSpan(n * 100, b.TotalFrames * 100), b.Latent, 1e-3, "b in batch vs golden batch");
        Assert.All(batch.AsSpan(n * 100 + b.TotalFrames * 100, (n - b.TotalFrames) * 100).ToArray(), v => Assert.Equal(0f, v));

        using var aloneB = GoldenItem("b", 8);
        while (!aloneB.IsComplete)
        {
            _engine.RunStep([aloneB], CancellationToken.None);
        }

        // Batched == alone on the same engine: 1e-5 (padding is masked; only reduction order may differ).
        Close.Assert(Latent(aloneB), b.Latent, 1e-5, "b batched vs alone");
        Close.Assert(_g.Floats("b.nfe8.x_step8"), b.Latent, 1e-3, "b vs golden alone");
    }

    [Fact]
    public void Item_joining_a_running_batch_matches_running_alone()
    {
        using var aloneA = GoldenItem("a", 8);
        using var aloneB = GoldenItem("b", 7);
        while (!aloneA.IsComplete)
        {
            _engine.RunStep([aloneA], CancellationToken.None);
        }

        while (!aloneB.IsComplete)
        {
            _engine.RunStep([aloneB], CancellationToken.None);
        }

        var expectedA = Latent(aloneA).ToArray();
        var expectedB = Latent(aloneB).ToArray();

        using var a = GoldenItem("a", 8);
        using var b = GoldenItem("b", 7);
        for (var i = 0; i < 3; i++)
        {
            _engine.RunStep([a], CancellationToken.None);
        }

        var active = new List<IEngineItem> { b, a }; // b joins in front of a at a's step 3, on its own EPSS grid
        while (active.Count > 0)
        {
            _engine.RunStep(active, CancellationToken.None);
            active.RemoveAll(i => i.IsComplete);
        }

        Close.Assert(expectedA, Latent(a), 1e-5, "a");
        Close.Assert(expectedB, Latent(b), 1e-5, "b");
    }

    [Fact]
    public void Same_seed_is_bit_identical_and_seeds_differ()
    {
        float[] Run(long seed)
        {
            using var item = _engine.Prepare(Input("b", 8, seed, goldenNoise: false), CancellationToken.None);
            while (!item.IsComplete)
            {
                _engine.RunStep([item], CancellationToken.None);
            }

            return _engine.Decode([item], CancellationToken.None)[0];
        }

        var first = Run(2024);
        var second = Run(2024);
        var other = Run(2025);
        Assert.Equal(first, second);
        Assert.True(Close.MaxAbs(first, other) > 1e-3);
    }

    [Fact]
    public void Warm_up_runs_a_batch_of_two()
    {
        _engine.WarmUp(CancellationToken.None);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("batch 2", StringComparison.Ordinal));
    }

    [Fact]
    public void Fp16_transformer_runs_and_stays_near_fp32()
    {
        if (_fp16Model is null)
        {
            Assert.Skip("no fp16 fixture of this export");
        }

        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU" };
        using var fp16 = OnnxTtsEngineFactory.Create(Fixtures.Model(_fp16Model), options, new ListLoggerFactory());
        Assert.Equal("fp16", fp16.Description.Precision);
        using var item = fp16.Prepare(Input("a", 8), CancellationToken.None);
        while (!item.IsComplete)
        {
            fp16.RunStep([item], CancellationToken.None);
        }

        var audio = fp16.Decode([item], CancellationToken.None)[0];
        var error = Close.MaxAbs(_g.Floats("a.nfe8.audio"), audio);
        Assert.True(error < 0.05, $"fp16 vs fp32 golden audio: max abs {error:E3}");
        Assert.All(audio, v => Assert.True(float.IsFinite(v)));
    }
}

/// <summary>
/// The golden checks on <c>tiny-v1-batched-fused</c>: the same weights exported with <c>--attention fused</c>
/// (com.microsoft RotaryEmbedding, MultiHeadAttention, FastGelu; docs/export.md), which ONNX Runtime's CPU provider
/// runs too.
/// </summary>
public sealed class FusedBatchedGoldenTests : BatchedGoldenTests
{
    public FusedBatchedGoldenTests()
        : base("tiny-v1-batched-fused", "tiny-v1-batched-fused-fp16")
    {
    }
}

/// <summary>
/// The golden checks on <c>tiny-v1-batched-f5ops</c>: the same weights exported with <c>--attention f5ops</c>, whose
/// Transformer uses the project's <c>f5tts.ops</c> kernels (QkvRotary, GatedResidualNorm, ModulatedNorm;
/// docs/custom-ops.md) from the <c>libf5tts_ops.so</c> the build places beside this assembly, here on their CPU
/// kernels. Same tolerances as the plain export. There is no fp16 f5ops fixture (fp32 only, see
/// tools/export/f5tts_export/fixtures.py): CustomOpsTests checks the kernels' fp16 arithmetic instead.
/// </summary>
public sealed class F5OpsBatchedGoldenTests : BatchedGoldenTests
{
    public F5OpsBatchedGoldenTests()
        : base("tiny-v1-batched-f5ops", null)
    {
    }
}
