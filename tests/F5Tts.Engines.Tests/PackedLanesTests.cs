using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;

namespace F5Tts.Engines.Tests;

/// <summary>
/// Two packed batches (docs/engine.md "Two packed batches") on the tiny-v1-batched fixture, CPU provider, exact and
/// static shapes: a worker alternating between a running batch and a batch of first chunks gets the same latents and
/// audio as running each batch on its own, the second lane is allocated once and alternating then re-packs nothing
/// (no allocation), and an item moving from one lane into the other's batch carries its newest latent. Batched against
/// alone differs only by reduction order over padded frames: 1e-5 absolute (as in <see cref="StaticShapesTests"/>).
/// </summary>
public sealed class PackedLanesTests
{
    private const double Tolerance = 1e-5;

    private readonly GoldenData _g = GoldenData.Load("tiny-v1-batched");

    private static BatchedF5Engine Create(bool staticShapes) => (BatchedF5Engine)OnnxTtsEngineFactory.Create(
        Fixtures.Model("tiny-v1-batched"),
        new EngineOptions
        {
            TransformerProviders = "CPU",
            PreprocessProviders = "CPU",
            DecodeProviders = "CPU",
            MaxBatchSize = 4,
            WarmUpFrames = 200,
            StaticShapes = staticShapes,
            FrameBucket = 64,
        },
        new ListLoggerFactory());

    private BatchedItem Item(BatchedF5Engine engine, string name, int nfe, int trim = 0) => GoldenItems.Create(_g, engine, name, nfe, trim);

    private static void RunToEnd(BatchedF5Engine engine, List<IEngineItem> batch)
    {
        while (batch.Count > 0)
        {
            engine.RunStep(batch, CancellationToken.None);
            batch.RemoveAll(i => i.IsComplete);
        }
    }

    /// <summary>The running batch {a, b} takes one step, then the first chunk c runs to its end, then a and b finish.</summary>
    private float[][] Interleaved(BatchedF5Engine engine, bool alternate)
    {
        using var a = Item(engine, "a", 8);
        using var b = Item(engine, "b", 8);
        using var c = Item(engine, "b", 6, trim: 40);
        List<IEngineItem> running = [a, b];
        if (alternate)
        {
            engine.RunStep(running, CancellationToken.None);
            engine.RunStep([c], CancellationToken.None);
            engine.RunStep(running, CancellationToken.None);
            RunToEnd(engine, [c]);
        }
        else
        {
            RunToEnd(engine, [c]); // reference: each batch on its own
        }

        RunToEnd(engine, running);
        var audio = engine.Decode([a, b, c], CancellationToken.None);
        return [a.Latent.ToArray(), b.Latent.ToArray(), c.Latent.ToArray(), .. audio];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Alternating_two_batches_matches_running_each_alone(bool staticShapes)
    {
        using var reference = Create(staticShapes: false);
        using var engine = Create(staticShapes);
        var expected = Interleaved(reference, alternate: false);
        Assert.Equal(1, reference.PackedLanes); // one batch after the other: one set of buffers

        var actual = Interleaved(engine, alternate: true);
        Assert.Equal(2, engine.PackedLanes);
        string[] names = ["a", "b", "c", "audio a", "audio b", "audio c"];
        for (var i = 0; i < names.Length; i++)
        {
            Close.Assert(expected[i], actual[i], Tolerance, names[i]);
        }
    }

    [Fact]
    public void Alternating_once_both_are_packed_re_packs_nothing()
    {
        using var engine = Create(staticShapes: true);
        using var a = Item(engine, "a", 16);
        using var b = Item(engine, "b", 16);
        using var c = Item(engine, "b", 16, trim: 40);
        List<IEngineItem> running = [a, b];
        List<IEngineItem> first = [c];
        for (var k = 0; k < 2; k++)
        {
            // Packs both lanes and creates both parities' bindings of each bucket.
            engine.RunStep(running, CancellationToken.None);
            engine.RunStep(first, CancellationToken.None);
        }

        // A re-pack would fill the host staging rows and upload them: allocations of views and Parallel.For state.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 4; k++)
        {
            engine.RunStep(running, CancellationToken.None);
            engine.RunStep(first, CancellationToken.None);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2, engine.PackedLanes);
    }

    [Fact]
    public void An_item_moving_into_the_other_batch_carries_its_newest_latent()
    {
        // Reference: each item alone, one after the other (batched equals alone; one lane only).
        using var reference = Create(staticShapes: false);
        using var aAlone = Item(reference, "a", 8);
        using var cAlone = Item(reference, "b", 8, trim: 40);
        RunToEnd(reference, [aAlone]);
        RunToEnd(reference, [cAlone]);
        var expectedAudio = reference.Decode([aAlone, cAlone], CancellationToken.None);
        Assert.Equal(1, reference.PackedLanes);

        using var engine = Create(staticShapes: true);
        using var a = Item(engine, "a", 8);
        using var c = Item(engine, "b", 8, trim: 40);
        using var d = Item(engine, "a", 8, trim: 10);
        engine.RunStep([a], CancellationToken.None);
        engine.RunStep([c], CancellationToken.None); // the second lane
        engine.RunStep([c], CancellationToken.None);
        engine.RunStep([a, c], CancellationToken.None); // c leaves its lane for a's batch
        engine.RunStep([d], CancellationToken.None); // a third batch takes the lane c left
        RunToEnd(engine, [a, c]);
        var audio = engine.Decode([a, c], CancellationToken.None);

        Assert.Equal(2, engine.PackedLanes);
        Close.Assert(aAlone.Latent.ToArray(), a.Latent.ToArray(), Tolerance, "a");
        Close.Assert(cAlone.Latent.ToArray(), c.Latent.ToArray(), Tolerance, "c");
        Close.Assert(expectedAudio[0], audio[0], Tolerance, "audio a");
        Close.Assert(expectedAudio[1], audio[1], Tolerance, "audio c");
    }
}
