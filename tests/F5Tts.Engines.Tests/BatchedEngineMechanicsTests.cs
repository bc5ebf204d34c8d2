using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests;

/// <summary>
/// Engine mechanics on the toy f5tts-batched/1 model (real ONNX Runtime, CPU): batching, re-packing on membership
/// change, per-item grids, seeds, gain, cut rule and cancellation. Golden parity with the exporter lives in
/// <see cref="BatchedGoldenTests"/>.
/// </summary>
public sealed class BatchedEngineMechanicsTests : IDisposable
{
    // Batched vs alone differ only by reduction order over padded rows: 1e-5 absolute is ~100 float ulps at |x| ≈ 1.
    private const double BatchTolerance = 1e-5;

    private readonly TempDirectory _dir = new();
    private readonly ListLoggerFactory _logs = new();
    private readonly ITtsEngine _engine;

    public BatchedEngineMechanicsTests()
    {
        ToyBatchedModel.Write(_dir.Path);
        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU", MaxBatchSize = 4, WarmUpFrames = 200 };
        _engine = OnnxTtsEngineFactory.Create(_dir.Path, options, _logs);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _dir.Dispose();
    }

    private static EngineInput Input(int refSamples, int frames, long seed, int nfe = 8, float cfg = 2f, float gain = 1f, float[]? noise = null)
    {
        var audio = GaussianNoise.Generate(seed + 1000, refSamples);
        var ids = Enumerable.Range(0, Math.Min(frames, 17)).Select(i => 1 + ((i * 7 + (int)seed) % (ToyBatchedModel.VocabSize - 1))).ToArray();
        return new EngineInput(audio, ids, frames, new SamplerSettings(NfeSteps: nfe, CfgStrength: cfg, Seed: seed), gain, noise);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Seeded_noise_is_the_same_drawn_beside_Preprocess_or_after_it(bool beside)
    {
        ((BatchedF5Engine)_engine).NoiseBesidePreprocess = beside;
        var input = Input(256 * 20, 120, 77);

        using var item = (BatchedItem)_engine.Prepare(input, CancellationToken.None);

        Assert.Equal(GaussianNoise.Generate(77, 120 * 100), item.Latent.AsSpan(0, 120 * 100).ToArray());
    }

    private float[] RunAlone(EngineInput input)
    {
        using var item = _engine.Prepare(input, CancellationToken.None);
        while (!item.IsComplete)
        {
            _engine.RunStep([item], CancellationToken.None);
        }

        return _engine.Decode([item], CancellationToken.None)[0];
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(max <= tolerance, $"max abs difference {max:E3} > {tolerance:E1}");
    }

    [Fact]
    public void Description_reports_contract_and_cpu()
    {
        var d = _engine.Description;
        Assert.Equal("f5tts-batched/1", d.Contract);
        Assert.Equal("toy", d.Model);
        Assert.Equal(1024, d.MaxFrames);
        Assert.Equal("CPU", d.ProvidersByStage["transformer"]);
        Assert.Contains("host (CPU provider)", ((BatchedF5Engine)_engine).ResidencyMode);
    }

    [Fact]
    public void Toy_model_result_matches_host_reference_integration()
    {
        // Independent C# evaluation of the toy graphs: checks t/dt per step, cfg, the reference cut and decode length.
        var input = Input(refSamples: 256 * 30 + 17, frames: 80, seed: 5, nfe: 16, cfg: 1.5f);
        var audio = RunAlone(input);

        var n = input.TotalFrames;
        var refFrames = input.ReferenceAudio.Length / 256 + 1;
        var am = input.ReferenceAudio.Average(v => (double)v);
        var tm = input.TextIds.Average(v => (double)v);
        var baseMean = Enumerable.Range(0, 612).Average(i => (double)(float)Math.Sin(i * 0.37));
        var x = GaussianNoise.Generate(5, n * 100).Select(v => (double)v).ToArray();
        var grid = TimeGrid.Create(16, -1f);
        for (var k = 0; k < grid.Steps; k++)
        {
            var g = new double[100];
            for (var f = 0; f < n; f++)
            {
                for (var c = 0; c < 100; c++)
                {
                    g[c] += x[f * 100 + c];
                }
            }

            var next = new double[x.Length];
            for (var f = 0; f < n; f++)
            {
                var mc = baseMean * am + tm * 0.01 + f * 0.001;
                var mu = baseMean * 0.5 + f * 0.002;
                for (var c = 0; c < 100; c++)
                {
                    var gc = 0.1 * g[c] / n;
                    var xv = x[f * 100 + c];
                    var vc = Math.Tanh(0.5 * xv + mc + grid.TimeAt(k) + gc);
                    var vu = Math.Tanh(0.5 * xv + mu + gc);
                    next[f * 100 + c] = xv + grid.DeltaAt(k) * (vc + 1.5 * (vc - vu));
                }
            }

            x = next;
        }

        var gen = n - refFrames;
        Assert.Equal((gen - 1) * 256, audio.Length);
        var expected = new float[audio.Length];
        for (var i = 0; i < gen - 1; i++)
        {
            var frame = refFrames + 1 + i;
            var mean = Enumerable.Range(0, 100).Average(c => x[frame * 100 + c]);
            for (var s = 0; s < 256; s++)
            {
                expected[i * 256 + s] = (float)(Math.Tanh(mean) * (s + 1) / 256.0);
            }
        }

        AssertClose(expected, audio, 1e-4);
    }

    [Fact]
    public void Batched_equals_alone_for_items_of_different_lengths_and_grids()
    {
        var inputs = new[] { Input(256 * 20, 120, 1, nfe: 8), Input(256 * 50 + 3, 200, 2, nfe: 8), Input(256 * 10, 90, 3, nfe: 8) };
        var alone = inputs.Select(RunAlone).ToArray();

        var items = inputs.Select(i => _engine.Prepare(i, CancellationToken.None)).ToList();
        while (!items[0].IsComplete)
        {
            _engine.RunStep(items, CancellationToken.None);
        }

        var batched = _engine.Decode(items, CancellationToken.None);
        for (var i = 0; i < inputs.Length; i++)
        {
            AssertClose(alone[i], batched[i], BatchTolerance);
        }

        items.ForEach(i => i.Dispose());
    }

    [Fact]
    public void Item_joining_a_running_batch_matches_running_alone()
    {
        var a = Input(256 * 20, 150, 11, nfe: 10);
        var b = Input(256 * 30, 110, 12, nfe: 16);
        var c = Input(256 * 8, 60, 13, nfe: 5);
        var expected = new[] { RunAlone(a), RunAlone(b), RunAlone(c) };

        using var ia = _engine.Prepare(a, CancellationToken.None);
        using var ib = _engine.Prepare(b, CancellationToken.None);
        using var ic = _engine.Prepare(c, CancellationToken.None);
        for (var s = 0; s < 3; s++)
        {
            _engine.RunStep([ia], CancellationToken.None);
        }

        // b joins at a's step 3; c joins two steps later in the middle of the list; finished items leave.
        var active = new List<IEngineItem> { ia, ib };
        var outputs = new Dictionary<IEngineItem, float[]>();
        var round = 0;
        while (active.Count > 0)
        {
            if (round++ == 2)
            {
                active.Insert(1, ic);
            }

            _engine.RunStep(active, CancellationToken.None);
            foreach (var done in active.Where(i => i.IsComplete).ToList())
            {
                outputs[done] = _engine.Decode([done], CancellationToken.None)[0];
                active.Remove(done);
            }
        }

        AssertClose(expected[0], outputs[ia], BatchTolerance);
        AssertClose(expected[1], outputs[ib], BatchTolerance);
        AssertClose(expected[2], outputs[ic], BatchTolerance);
    }

    [Fact]
    public void Same_seed_gives_identical_audio_and_different_seeds_differ()
    {
        var first = RunAlone(Input(256 * 20, 100, 77));
        var second = RunAlone(Input(256 * 20, 100, 77));
        var other = RunAlone(Input(256 * 20, 100, 77) with { Sampler = new SamplerSettings(NfeSteps: 8, Seed: 78) });
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Explicit_initial_noise_is_used()
    {
        var seeded = RunAlone(Input(256 * 20, 100, 21));
        var explicitNoise = RunAlone(Input(256 * 20, 100, 999, noise: GaussianNoise.Generate(21, 100 * 100)) with
        {
            Sampler = new SamplerSettings(NfeSteps: 8, Seed: 999),
            ReferenceAudio = GaussianNoise.Generate(21 + 1000, 256 * 20),
            TextIds = Input(256 * 20, 100, 21).TextIds,
        });
        Assert.Equal(seeded, explicitNoise);
    }

    [Fact]
    public void Output_gain_scales_the_audio()
    {
        var plain = RunAlone(Input(256 * 20, 100, 31));
        var boosted = RunAlone(Input(256 * 20, 100, 31, gain: 0.5f));
        Assert.Equal(plain.Select(v => v * 0.5f).ToArray(), boosted);
    }

    [Fact]
    public void Cancellation_is_checked_before_each_step()
    {
        using var item = _engine.Prepare(Input(256 * 20, 100, 41), CancellationToken.None);
        _engine.RunStep([item], CancellationToken.None);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => _engine.RunStep([item], cts.Token));
        Assert.Equal(1, item.StepsDone);
        Assert.Throws<OperationCanceledException>(() => _engine.Decode([item], cts.Token));
    }

    [Fact]
    public void Misuse_is_rejected_with_argument_errors()
    {
        using var item = _engine.Prepare(Input(256 * 20, 100, 51, nfe: 1), CancellationToken.None);
        _engine.RunStep([item], CancellationToken.None);
        Assert.True(item.IsComplete);
        Assert.Throws<ArgumentException>(() => _engine.RunStep([item], CancellationToken.None));
        Assert.Throws<ArgumentException>(() => _engine.Prepare(Input(256 * 20, 2000, 1), CancellationToken.None));
        Assert.Throws<ArgumentException>(() => _engine.Prepare(Input(256 * 200, 100, 1), CancellationToken.None)); // N ≤ ref frames
        Assert.Throws<ArgumentException>(() => _engine.Prepare(Input(256 * 20, 100, 1) with { TextIds = [ToyBatchedModel.VocabSize] }, CancellationToken.None));
    }

    [Fact]
    public void Warm_up_runs_every_stage()
    {
        _engine.WarmUp(CancellationToken.None);
        Assert.Contains(_logs.Entries, e => e.Message.StartsWith("Warm-up done", StringComparison.Ordinal));
    }
}
