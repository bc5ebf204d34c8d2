using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;

namespace F5Tts.Engines.Tests;

/// <summary>
/// Static shape buckets (docs/engine.md "CUDA graphs and shape buckets") on the tiny-v1-batched fixture, CPU provider:
/// the bucket rule, and the bucketed engine against the exact-shape engine on the same scenarios. The model masks
/// frames beyond each row's length and padding rows are separate batch rows, so only reduction order over the padded
/// frames may differ: 1e-5 absolute (as batched vs alone).
/// </summary>
public sealed class StaticShapesTests : IDisposable
{
    private const double Tolerance = 1e-5;

    private readonly GoldenData _g = GoldenData.Load("tiny-v1-batched");
    private readonly BatchedF5Engine _exact;
    private readonly BatchedF5Engine _static;

    public StaticShapesTests()
    {
        _exact = Create(staticShapes: false);
        _static = Create(staticShapes: true);
    }

    public void Dispose()
    {
        _exact.Dispose();
        _static.Dispose();
    }

    private static BatchedF5Engine Create(bool staticShapes, int maxBatch = 4, int frameBucket = 64) => (BatchedF5Engine)OnnxTtsEngineFactory.Create(
        Fixtures.Model("tiny-v1-batched"),
        new EngineOptions
        {
            TransformerProviders = "CPU",
            PreprocessProviders = "CPU",
            DecodeProviders = "CPU",
            MaxBatchSize = maxBatch,
            WarmUpFrames = 200,
            StaticShapes = staticShapes,
            FrameBucket = frameBucket,
            Cuda = { CudaGraphs = true }, // ignored on a CPU Transformer: no graphs, the run options carry no id
        },
        new ListLoggerFactory());

    private BatchedItem Item(BatchedF5Engine engine, string name, int nfe, int trim = 0) => GoldenItems.Create(_g, engine, name, nfe, trim);

    [Theory]
    [InlineData(1, 16, 1)]
    [InlineData(2, 16, 2)]
    [InlineData(3, 16, 4)]
    [InlineData(5, 16, 8)]
    [InlineData(9, 16, 16)]
    [InlineData(16, 16, 16)]
    [InlineData(5, 12, 8)]
    [InlineData(9, 12, 12)]
    [InlineData(3, 3, 3)]
    [InlineData(1, 1, 1)]
    public void Batch_bucket_is_next_power_of_two_capped(int batch, int max, int expected) =>
        Assert.Equal(expected, ShapeBuckets.Batch(batch, max));

    [Theory]
    [InlineData(1, 64, 4096, 64)]
    [InlineData(64, 64, 4096, 64)]
    [InlineData(65, 64, 4096, 128)]
    [InlineData(680, 64, 4096, 704)]
    [InlineData(4095, 64, 4096, 4096)]
    [InlineData(3500, 1000, 4096, 4000)]
    [InlineData(4001, 1000, 4096, 4096)]
    [InlineData(100, 1, 4096, 100)]
    [InlineData(4096, 4096, 4096, 4096)]
    public void Frame_bucket_rounds_up_to_a_multiple_capped(int frames, int bucket, int maxFrames, int expected) =>
        Assert.Equal(expected, ShapeBuckets.Frames(frames, bucket, maxFrames));

    [Fact]
    public void Bucket_arguments_out_of_range_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeBuckets.Batch(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeBuckets.Batch(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeBuckets.Frames(0, 64, 4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeBuckets.Frames(4097, 64, 4096));
    }

    [Fact]
    public void Mode_is_reported_and_cpu_does_not_capture()
    {
        Assert.Null(_exact.StaticMode);
        Assert.Equal("CPU", _exact.Description.ProvidersByStage["transformer"]);
        var mode = Assert.IsType<StaticStepBuffers>(_static.StaticMode);
        Assert.False(mode.CapturesGraphs);
        Assert.Equal("static shapes (batch buckets 1,2,4; frame bucket 64)", mode.Mode);
        Assert.StartsWith("CPU (static shapes", _static.Description.ProvidersByStage["transformer"], StringComparison.Ordinal);
        Assert.Contains("static shapes", _static.ResidencyMode, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_of_one_matches_exact_shapes()
    {
        var expected = RunAlone(_exact, "a", 8);
        var actual = RunAlone(_static, "a", 8);
        Assert.Equal(expected.Latent.Length, actual.Latent.Length);
        Close.Assert(expected.Latent, actual.Latent, Tolerance, "final x");
        Close.Assert(expected.Audio, actual.Audio, Tolerance, "audio");
        Assert.Equal((1, 256), BucketOf(_static, "a")); // a has 221 frames: the check above ran padded to 256
    }

    [Fact]
    public void Batch_of_three_padded_to_four_with_different_lengths_matches_exact_shapes()
    {
        float[][] Run(BatchedF5Engine engine)
        {
            using var a = Item(engine, "a", 8);
            using var b = Item(engine, "b", 8);
            using var c = Item(engine, "a", 8, trim: 37);
            while (!a.IsComplete)
            {
                engine.RunStep([a, b, c], CancellationToken.None);
            }

            engine.Decode([a, b, c], CancellationToken.None);
            return [a.Latent.ToArray(), b.Latent.ToArray(), c.Latent.ToArray()];
        }

        var expected = Run(_exact);
        var actual = Run(_static);
        Assert.Equal(4, _static.StaticMode!.CurrentBucket.Batch);
        for (var i = 0; i < 3; i++)
        {
            Close.Assert(expected[i], actual[i], Tolerance, $"item {i}");
        }

        Assert.All(actual.SelectMany(x => x), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Items_joining_and_leaving_mid_run_match_exact_shapes()
    {
        float[][] Run(BatchedF5Engine engine)
        {
            using var a = Item(engine, "a", 8);
            using var b = Item(engine, "b", 7);
            using var c = Item(engine, "b", 8, trim: 50);
            engine.RunStep([a], CancellationToken.None);
            engine.RunStep([a], CancellationToken.None);
            engine.RunStep([a, b], CancellationToken.None); // b joins at a's step 2
            engine.RunStep([a, b], CancellationToken.None);
            engine.RunStep([c, a, b], CancellationToken.None); // c joins in front: 3 rows, bucket 4
            engine.RunStep([c, b], CancellationToken.None); // a leaves unfinished, continues alone below
            while (!a.IsComplete)
            {
                engine.RunStep([a], CancellationToken.None);
            }

            var active = new List<F5Tts.Inference.Engine.IEngineItem> { c, b };
            while (active.Count > 0)
            {
                engine.RunStep(active, CancellationToken.None);
                active.RemoveAll(i => i.IsComplete);
            }

            var audio = engine.Decode([a, b, c], CancellationToken.None);
            return [a.Latent.ToArray(), b.Latent.ToArray(), c.Latent.ToArray(), .. audio];
        }

        var expected = Run(_exact);
        var actual = Run(_static);
        string[] names = ["a", "b", "c", "audio a", "audio b", "audio c"];
        for (var i = 0; i < names.Length; i++)
        {
            Close.Assert(expected[i], actual[i], Tolerance, names[i]);
        }
    }

    [Fact]
    public void Non_power_of_two_max_batch_is_the_last_bucket_and_frame_bucket_one_is_exact()
    {
        using var engine = Create(staticShapes: true, maxBatch: 3, frameBucket: 1);
        using var a = Item(engine, "a", 8);
        using var b = Item(engine, "b", 8);
        using var c = Item(engine, "a", 8, trim: 10);
        engine.RunStep([a, b, c], CancellationToken.None);
        var n = Math.Max(a.TotalFrames, b.TotalFrames);
        Assert.Equal((3, n), engine.StaticMode!.CurrentBucket);
        Assert.Equal("static shapes (batch buckets 1,2,3; frame bucket 1)", engine.StaticMode.Mode);
    }

    [Fact]
    public void Steady_state_step_does_not_allocate()
    {
        using var a = Item(_static, "a", 8);
        using var b = Item(_static, "b", 8);
        _static.RunStep([a, b], CancellationToken.None); // membership change: packs, creates the bucket's bindings
        _static.RunStep([a, b], CancellationToken.None); // first use of the other parity's binding
        List<F5Tts.Inference.Engine.IEngineItem> items = [a, b];
        var before = GC.GetAllocatedBytesForCurrentThread();
        _static.RunStep(items, CancellationToken.None);
        _static.RunStep(items, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Warm_up_runs_in_static_mode()
    {
        _static.WarmUp(CancellationToken.None);
        Assert.Equal((2, 256), _static.StaticMode!.CurrentBucket); // warm-up items of 200 and 150 frames
    }

    private (float[] Latent, float[] Audio) RunAlone(BatchedF5Engine engine, string name, int nfe)
    {
        using var item = Item(engine, name, nfe);
        while (!item.IsComplete)
        {
            engine.RunStep([item], CancellationToken.None);
        }

        var audio = engine.Decode([item], CancellationToken.None)[0];
        return (item.Latent.ToArray(), audio);
    }

    private (int, int) BucketOf(BatchedF5Engine engine, string name)
    {
        using var item = Item(engine, name, 8);
        engine.RunStep([item], CancellationToken.None);
        return engine.StaticMode!.CurrentBucket;
    }
}
