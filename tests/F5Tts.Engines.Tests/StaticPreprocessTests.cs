using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests;

/// <summary>
/// Preprocess at bucketed shapes (<see cref="StaticPreprocess"/>, docs/engine.md "Preprocess graphs") on the padded
/// tiny-v1-batched fixture, CPU provider (no graph is captured on the CPU; the bucketed runs, the bindings and the
/// Preprocess thread are the same code): each item's conditioning equals the exact-shape engine's. The padded export
/// makes a padded item's rows those of the graph at its own length; what can differ is float reduction order in GRN's
/// norm over the extra zero rows — 0 was measured here, so the bound is 1e-6.
/// </summary>
public sealed class StaticPreprocessTests : IDisposable
{
    private const double Tolerance = 1e-6;

    private readonly BatchedF5Engine _exact = Create(staticShapes: false);
    private readonly BatchedF5Engine _static = Create(staticShapes: true, maxSamples: 30_000);

    public void Dispose()
    {
        _exact.Dispose();
        _static.Dispose();
    }

    private static BatchedF5Engine Create(bool staticShapes, int maxSamples = 720_000) => (BatchedF5Engine)OnnxTtsEngineFactory.Create(
        Fixtures.Model("tiny-v1-batched"),
        new EngineOptions
        {
            TransformerProviders = "CPU",
            PreprocessProviders = "CPU",
            DecodeProviders = "CPU",
            MaxBatchSize = 4,
            StaticShapes = staticShapes,
            FrameBucket = 64,
            Cuda = { PreprocessGraphMaxSamples = maxSamples },
        },
        new ListLoggerFactory());

    private static EngineInput Input(int samples, int textIds, int frames, long seed)
    {
        var audio = new float[samples];
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] = (0.2f * MathF.Sin(2 * MathF.PI * 180 * i / 24_000f)) + (0.05f * MathF.Sin(2 * MathF.PI * 2_100 * i / 24_000f));
        }

        var ids = Enumerable.Range(0, textIds).Select(i => ((i * 53) + 11) % 2545).ToArray();
        return new EngineInput(audio, ids, frames, new SamplerSettings(NfeSteps: 4, Seed: seed), 1f);
    }

    [Fact]
    public void Static_engine_reports_its_preprocess_mode()
    {
        Assert.Contains("static shapes", _static.Description.ProvidersByStage[ModelContracts.PreprocessStage], StringComparison.Ordinal);
        Assert.DoesNotContain("static", _exact.Description.ProvidersByStage[ModelContracts.PreprocessStage], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(24_000, 40, 200)] // 200 frames → bucket 256
    [InlineData(24_000, 40, 256)] // exactly a bucket
    [InlineData(24_000, 93, 129)] // one frame past a bucket, long text
    [InlineData(12_345, 7, 70)] // another reference length: a bucket of its own
    [InlineData(36_000, 40, 300)] // longer than PreprocessGraphMaxSamples: exact shapes on the Preprocess thread
    public void Bucketed_preprocess_equals_exact_shapes(int samples, int textIds, int frames)
    {
        var input = Input(samples, textIds, frames, seed: frames);
        using var exact = (BatchedItem)_exact.Prepare(input, CancellationToken.None);
        using var bucketed = (BatchedItem)_static.Prepare(input, CancellationToken.None);
        Assert.Equal(exact.ReferenceFrames, bucketed.ReferenceFrames);
        Assert.Equal(frames * 132, bucketed.Cond.Length);
        Close.Assert(exact.Cond, bucketed.Cond, Tolerance, "cond");
        Close.Assert(exact.CondDrop, bucketed.CondDrop, Tolerance, "cond_drop");
        Assert.Equal(exact.Latent, bucketed.Latent); // seeded noise: the same values whichever path
    }

    [Fact]
    public void A_smaller_item_after_a_larger_one_in_the_same_bucket_sees_none_of_its_rows()
    {
        // The staging buffers are shared by every run of a bucket: a short text after a long one must not keep the
        // long one's ids, and rows past N must not leak into the item.
        var first = Input(24_000, 120, 250, seed: 1);
        var second = Input(24_000, 5, 200, seed: 2);
        using var warm = _static.Prepare(first, CancellationToken.None);
        using var exact = (BatchedItem)_exact.Prepare(second, CancellationToken.None);
        using var bucketed = (BatchedItem)_static.Prepare(second, CancellationToken.None);
        Close.Assert(exact.Cond, bucketed.Cond, Tolerance, "cond after a longer item");
        Close.Assert(exact.CondDrop, bucketed.CondDrop, Tolerance, "cond_drop after a longer item");
    }

    [Fact]
    public void Concurrent_callers_each_get_their_own_item()
    {
        // Prepare from several threads at once: the calls queue for the one Preprocess thread and each gets its own
        // rows (different texts and lengths in one bucket).
        var inputs = Enumerable.Range(0, 8).Select(k => Input(24_000, 10 + (k * 9), 140 + (k * 7), seed: k)).ToArray();
        var expected = inputs.Select(i => _exact.Prepare(i, CancellationToken.None)).Cast<BatchedItem>().ToArray();
        var got = new BatchedItem[inputs.Length];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k => got[k] = (BatchedItem)_static.Prepare(inputs[k], CancellationToken.None));
        for (var k = 0; k < inputs.Length; k++)
        {
            Close.Assert(expected[k].Cond, got[k].Cond, Tolerance, $"item {k} cond");
            expected[k].Dispose();
            got[k].Dispose();
        }
    }

    [Fact]
    public void Too_few_frames_for_the_reference_is_refused_and_the_engine_serves_on()
    {
        var tooFew = Input(24_000, 40, 90, seed: 0); // 94 reference frames for 90 total frames
        Assert.Throws<ArgumentException>(() => _static.Prepare(tooFew, CancellationToken.None));
        using var after = _static.Prepare(Input(24_000, 40, 200, seed: 3), CancellationToken.None); // still serves
        Assert.Equal(200, after.TotalFrames);
    }
}
