using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests;

/// <summary>
/// The bucketed Decode (<see cref="StaticDecodeBuffers"/>, docs/engine.md "CUDA graphs and shape buckets") on the
/// tiny-v1-batched fixture, CPU provider with <see cref="EngineOptions.StaticShapes"/>, against the exact-shape Decode of
/// a second engine on the same items: the golden generated mel of items a (80 frames), b (60) and a cut to 43, with
/// their reference rows set to NaN, so a Decode that read any latent row outside an item's generated frames would
/// return NaN. The graph masks every frame ≥ lengths[b], so the bucketed call may differ only by the float rounding of
/// kernels run at another shape. Measured on the CPU provider: the three items padded to (4, 128) equal the exact
/// (3, 80) call bit for bit; b alone in bucket (1, 64) differs from b in the exact batch of three by 8.9e-8 (audio peak
/// ≈ 0.37). The bound is 2e-7. Breaking the code once showed the tests catch a wrong Decode: lengths = the bucket's
/// frames (error 9e-2), a padding clear that reaches the last item (0.34), the read-back stride of the longest item
/// instead of the bucket's (0.17), NaN instead of zeros in an item's padded frames (NaN), padding rows with the bucket's
/// length (their audio not 0). Padding rows of length 0, or NaN mel in them, change nothing: the graph's last Where
/// zeroes every sample past (length − 1)·hop, so a padding row's audio is 0 whatever it holds.
/// </summary>
public sealed class StaticDecodeTests : IDisposable
{
    private const double Tolerance = 2e-7;

    private readonly GoldenData _g = GoldenData.Load("tiny-v1-batched");
    private readonly BatchedF5Engine _exact;
    private readonly BatchedF5Engine _static;

    public StaticDecodeTests()
    {
        _exact = Create(staticShapes: false);
        _static = Create(staticShapes: true);
    }

    public void Dispose()
    {
        _exact.Dispose();
        _static.Dispose();
    }

    private static BatchedF5Engine Create(bool staticShapes, int maxBatch = 4, int frameBucket = 64, int graphMaxFrames = 1024) => (BatchedF5Engine)OnnxTtsEngineFactory.Create(
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
            Cuda = { DecodeCudaGraphs = true, DecodeGraphMaxFrames = graphMaxFrames }, // graphs: ignored on a CPU Decode
        },
        new ListLoggerFactory());

    /// <summary>
    /// A finished item of fixture item <paramref name="name"/> whose generated rows hold the golden mel (its first frames
    /// when <paramref name="trim"/> shortens it) and whose reference rows are NaN (Decode must not read them).
    /// </summary>
    private BatchedItem MelItem(BatchedF5Engine engine, string name, int trim = 0, float gain = 1f)
    {
        var total = (int)_g.Longs(name + ".total_frames")[0] - trim;
        var refFrames = (int)_g.Longs(name + ".ref_frames")[0];
        var latent = new float[total * 100];
        latent.AsSpan(0, refFrames * 100).Fill(float.NaN);
        _g.Floats(name + ".nfe8.mel_generated").AsSpan(0, (total - refFrames) * 100).CopyTo(latent.AsSpan(refFrames * 100));
        return new BatchedItem(engine, total, refFrames, TimeGrid.Create(8, -1f), 2f, gain, [], [], latent) { StepsDone = 8 };
    }

    /// <summary>a (80 generated frames), b (60, gain 0.5), a cut to 43 frames, in that order.</summary>
    private IReadOnlyList<float[]> DecodeThree(BatchedF5Engine engine, bool reversed = false)
    {
        using var a = MelItem(engine, "a");
        using var b = MelItem(engine, "b", gain: 0.5f);
        using var c = MelItem(engine, "a", trim: 37);
        return reversed
            ? engine.Decode([c, b, a], CancellationToken.None).Reverse().ToList()
            : engine.Decode([a, b, c], CancellationToken.None);
    }

    private static void AssertClose(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length); // (generated frames − 1) · 256 samples each
            Close.Assert(expected[i], actual[i], tolerance, $"item {i}");
        }
    }

    [Fact]
    public void Options_default_to_no_stage_graphs_and_1024_decode_frames()
    {
        var cuda = new CudaOptions();
        Assert.False(cuda.DecodeCudaGraphs); // opt-in: a loaded service run with stage graphs hung (docs/benchmarks.md)
        Assert.False(cuda.PreprocessCudaGraphs);
        Assert.Equal(1024, cuda.DecodeGraphMaxFrames);
    }

    [Fact]
    public void Mode_is_reported_and_cpu_does_not_capture()
    {
        Assert.Null(_exact.StaticDecode);
        Assert.Equal("CPU", _exact.Description.ProvidersByStage["decode"]);
        var decode = Assert.IsType<StaticDecodeBuffers>(_static.StaticDecode);
        Assert.False(decode.CapturesGraphs);
        Assert.Equal(1024, decode.CapacityFrames);
        Assert.Equal("CPU (static shapes (batch buckets 1,2,4; frame bucket 64; up to 1024 frames))", _static.Description.ProvidersByStage["decode"]);
    }

    [Fact]
    public void Three_items_of_different_lengths_padded_to_four_match_exact_shapes()
    {
        var expected = DecodeThree(_exact);
        var actual = DecodeThree(_static);
        var decode = _static.StaticDecode!;
        Assert.Equal((4, 128), decode.LastBucket); // 3 items → 4 rows; 80 frames → 128
        Assert.Equal(1, decode.Calls);
        Assert.Equal([79 * 256, 59 * 256, 42 * 256], actual.Select(x => x.Length));
        AssertClose(expected, actual, Tolerance);
        Assert.All(actual.SelectMany(x => x), v => Assert.True(float.IsFinite(v)));
        Assert.Contains(actual[0], v => Math.Abs(v) > 0.05f); // real audio, not a row of zeros
        Close.Assert(_g.Floats("a.nfe8.audio"), actual[0], 1e-4, "a vs golden"); // as BatchedGoldenTests' Decode check
        Close.Assert(_g.Floats("b.nfe8.audio").Select(v => v * 0.5f).ToArray(), actual[1], 1e-4, "b (gain 0.5) vs golden");

        // Past each item's samples its row is 0, and the padding row (zeros, length 1) is 0 throughout: no NaN or Inf.
        Assert.All(decode.LastAudioRow(2)[(42 * 256)..], v => Assert.Equal(0f, v));
        Assert.All(decode.LastAudioRow(3), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Decoding_again_at_the_same_bucket_gives_the_same_audio()
    {
        var first = DecodeThree(_static);
        var reordered = DecodeThree(_static, reversed: true); // same bucket, rows in another order: the buffers are rewritten
        var again = DecodeThree(_static);
        Assert.Equal(3, _static.StaticDecode!.Calls);
        Assert.Equal(0, _static.StaticDecode.GraphIds); // no graphs on the CPU
        AssertClose(first, reordered, Tolerance);
        AssertClose(first, again, 0); // the same inputs in the same buffers: bit for bit
    }

    [Fact]
    public void Bucket_of_the_exact_shape_is_bit_identical()
    {
        using var engine = Create(staticShapes: true, maxBatch: 3, frameBucket: 1);
        var expected = DecodeThree(_exact);
        var actual = DecodeThree(engine);
        Assert.Equal((3, 80), engine.StaticDecode!.LastBucket); // max batch 3 is a bucket; frame bucket 1 pads nothing
        AssertClose(expected, actual, 0);
    }

    [Fact]
    public void Chunks_longer_than_the_frame_limit_decode_at_exact_shapes()
    {
        using var engine = Create(staticShapes: true, graphMaxFrames: 60); // rounded up to the frame bucket: 64
        var decode = engine.StaticDecode!;
        Assert.Equal(64, decode.CapacityFrames);

        var expected = DecodeThree(_exact);
        var actual = DecodeThree(engine); // a has 80 generated frames: the whole chunk runs at its exact shape
        Assert.Equal(0, decode.Calls);
        AssertClose(expected, actual, 0);

        using var b = MelItem(engine, "b", gain: 0.5f); // 60 frames: bucketed
        var alone = engine.Decode([b], CancellationToken.None);
        Assert.Equal(1, decode.Calls);
        Assert.Equal((1, 64), decode.LastBucket);
        AssertClose([expected[1]], alone, Tolerance);
    }

    [Fact]
    public void Steady_state_decode_allocates_little_beyond_its_audio()
    {
        DecodeThree(_static); // creates the bucket's views and binding
        using var a = MelItem(_static, "a");
        using var b = MelItem(_static, "b");
        using var c = MelItem(_static, "a", trim: 37);
        List<F5Tts.Inference.Engine.IEngineItem> items = [a, b, c];
        var before = GC.GetAllocatedBytesForCurrentThread();
        var audio = _static.Decode(items, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var audioBytes = audio.Sum(x => (long)x.Length * sizeof(float));
        // The audio arrays, the result list, and per item a device view and a pinned host view for the read-back.
        Assert.True(allocated - audioBytes < 4096, $"{allocated - audioBytes} bytes beyond the audio");
    }
}
