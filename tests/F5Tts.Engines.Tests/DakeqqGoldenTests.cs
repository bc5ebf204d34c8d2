using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests;

/// <summary>
/// Golden parity of the dakeqq engine (tiny-v1 in the DakeQQ interface, no metadata, input <c>time_step.1</c>) with the
/// exporter's reference. Tolerances: 1e-3 on cat_mel_text and on the states after calls 1, 2 and 31 (measured
/// 1.8e-4 / 5.9e-5), ±8 LSB on the int16 Decode output (measured 1 LSB).
/// </summary>
public sealed class DakeqqGoldenTests : IDisposable
{
    private readonly GoldenData _g = GoldenData.Load("tiny-v1-dakeqq");
    private readonly DakeqqF5Engine _engine;

    public DakeqqGoldenTests()
    {
        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU" };
        _engine = (DakeqqF5Engine)OnnxTtsEngineFactory.Create(Fixtures.Model("tiny-v1-dakeqq"), options, new ListLoggerFactory());
    }

    public void Dispose() => _engine.Dispose();

    private EngineInput Input(long? seed = null, bool goldenNoise = true) => new(
        _g.Shorts("audio").Select(s => s / 32768f).ToArray(), // the engine rounds ×32768 back to the same int16
        _g.Ints("text_ids"),
        (int)_g.Longs("max_duration")[0],
        new SamplerSettings(NfeSteps: 31, Seed: seed),
        1f,
        goldenNoise ? _g.Floats("noise") : null);

    private static float[] HostLatent(DakeqqF5Engine engine, DakeqqF5Engine.DakeqqItem item)
    {
        var value = item.LatestOnHost(engine.Memory);
        return value.GetTensorDataAsSpan<float>().ToArray();
    }

    [Fact]
    public void Detected_from_signature_with_fixed_nfe()
    {
        var d = _engine.Description;
        Assert.Equal("dakeqq", d.Contract);
        Assert.Equal(31, d.FixedNfeSteps);
        Assert.Equal(1, d.MaxBatchSize);
        Assert.False(d.SupportsBatching);
        Assert.All(d.ProvidersByStage.Values, v => Assert.Equal("CPU", v));
    }

    [Fact]
    public void Steps_and_audio_match_golden()
    {
        using var item = (DakeqqF5Engine.DakeqqItem)_engine.Prepare(Input(), CancellationToken.None);
        Assert.Equal(_g.Long("ref_signal_len"), item.ReferenceFrames);
        Assert.Equal(31, item.StepsTotal);
        Close.Assert(_g.Floats("cat_mel_text"), item.PreprocessOutput(5).GetTensorDataAsSpan<float>(), 1e-3, "cat_mel_text");
        Close.Assert(_g.Floats("cat_mel_text_drop"), item.PreprocessOutput(6).GetTensorDataAsSpan<float>(), 1e-3, "cat_mel_text_drop");

        _engine.RunStep([item], CancellationToken.None);
        Close.Assert(_g.Floats("denoised_step1"), HostLatent(_engine, item), 1e-3, "after call 1");
        _engine.RunStep([item], CancellationToken.None);
        Close.Assert(_g.Floats("denoised_step2"), HostLatent(_engine, item), 1e-3, "after call 2");
        while (!item.IsComplete)
        {
            _engine.RunStep([item], CancellationToken.None);
        }

        Close.Assert(_g.Floats("denoised_step31"), HostLatent(_engine, item), 1e-3, "after call 31");
        var audio = _engine.Decode([item], CancellationToken.None)[0];
        var expected = _g.Shorts("output_audio").Select(s => s / 32767f).ToArray();
        Close.Assert(expected, audio, 8.0 / 32767, "audio (±8 LSB)");
    }

    [Fact]
    public void Host_seed_replaces_in_graph_noise_bit_identically()
    {
        float[] Run(long seed)
        {
            using var item = _engine.Prepare(Input(seed, goldenNoise: false), CancellationToken.None);
            while (!item.IsComplete)
            {
                _engine.RunStep([item], CancellationToken.None);
            }

            return _engine.Decode([item], CancellationToken.None)[0];
        }

        var first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));

        // The seeded noise is exactly the host generator's output.
        using var seeded = (DakeqqF5Engine.DakeqqItem)_engine.Prepare(Input(99, goldenNoise: false), CancellationToken.None);
        Assert.Equal(GaussianNoise.Generate(99, 221 * 100), seeded.PreprocessOutput(0).GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Two_items_in_one_step_call_run_independently()
    {
        using var a = _engine.Prepare(Input(), CancellationToken.None);
        using var b = _engine.Prepare(Input(), CancellationToken.None);
        _engine.RunStep([a], CancellationToken.None);
        while (!b.IsComplete)
        {
            _engine.RunStep(a.IsComplete ? [b] : [a, b], CancellationToken.None);
        }

        var audio = _engine.Decode([a, b], CancellationToken.None);
        Assert.Equal(audio[0], audio[1]);
    }

    [Fact]
    public void Cancellation_is_checked_between_items_and_steps()
    {
        using var item = _engine.Prepare(Input(), CancellationToken.None);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => _engine.RunStep([item], cts.Token));
        Assert.Equal(0, item.StepsDone);
    }

    [Fact]
    public void Warm_up_runs_each_stage() => _engine.WarmUp(CancellationToken.None);
}
