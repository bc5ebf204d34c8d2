using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;

namespace F5Tts.Engines.Tests;

/// <summary>
/// <see cref="ITtsEngine.ConcurrentPrepare"/> of the f5tts-batched/1 engine on the tiny fixture (real ONNX Runtime,
/// CPU): Prepare on a second thread while the Transformer steps gives exactly what the serial order gives, at exact and
/// at static (bucketed) shapes; and the logic of the <see cref="CaptureGate"/> that keeps Preprocess away from CUDA
/// graph captures (the capture itself needs a GPU: on the CPU no run ever takes the exclusive side).
/// </summary>
public sealed class ConcurrentPrepareTests
{
    // Same calls on the same shapes in the same order: only float noise from thread scheduling could differ.
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Prepare_on_another_thread_while_steps_run_gives_the_serial_results(bool staticShapes)
    {
        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU", MaxBatchSize = 4, StaticShapes = staticShapes };
        using var logs = new ListLoggerFactory();
        using var engine = (BatchedF5Engine)OnnxTtsEngineFactory.Create(Fixtures.Model("tiny-v1-batched"), options, logs);
        Assert.True(engine.ConcurrentPrepare);
        var first = SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 64);
        var joining = new[] { SchedulerTestKit.Input(frames: 240, seed: 2, nfe: 8), SchedulerTestKit.Input(frames: 250, seed: 3, nfe: 6) };

        // Concurrent: this thread steps the first item while another prepares the joining ones, round after round,
        // until both have made progress side by side.
        using var a = engine.Prepare(first, CancellationToken.None);
        var steps = 0;
        var rounds = 0;
        var prepared = new IEngineItem[joining.Length];
        Exception? preparerError = null;
        var preparer = new Thread(() =>
        {
            try
            {
                while (Volatile.Read(ref rounds) < 3 || Volatile.Read(ref steps) < 5)
                {
                    for (var i = 0; i < joining.Length; i++)
                    {
                        var item = engine.Prepare(joining[i], CancellationToken.None);
                        if (prepared[i] is null)
                        {
                            prepared[i] = item;
                        }
                        else
                        {
                            AssertSameConditioning(prepared[i], item, $"round {rounds}, item {i}", compareNoise: true);
                            item.Dispose();
                        }
                    }

                    Interlocked.Increment(ref rounds);
                }
            }
            catch (Exception ex)
            {
                preparerError = ex;
            }
        });
        preparer.Start();
        while (preparer.IsAlive && a.StepsDone < 40)
        {
            engine.RunStep([a], CancellationToken.None);
            Interlocked.Increment(ref steps);
        }

        preparer.Join();
        Assert.Null(preparerError);
        var k = a.StepsDone;
        var concurrent = Finish(engine, [a, .. prepared]);

        // Serial: the same calls in the order a single thread makes them.
        using var a2 = engine.Prepare(first, CancellationToken.None);
        for (var s = 0; s < k; s++)
        {
            engine.RunStep([a2], CancellationToken.None);
        }

        var serialItems = joining.Select(j => engine.Prepare(j, CancellationToken.None)).ToArray();
        for (var i = 0; i < joining.Length; i++)
        {
            AssertSameConditioning(serialItems[i], prepared[i], $"item {i} serial vs concurrent", compareNoise: false);
        }

        var serial = Finish(engine, [a2, .. serialItems]);
        for (var i = 0; i < serial.Count; i++)
        {
            Close.Assert(serial[i], concurrent[i], Tolerance, $"item {i} audio, concurrent prepare vs serial ({k} solo steps)");
        }

        // No CUDA graph is captured on the CPU, so no Transformer run ever waits for Preprocess.
        Assert.Equal(0, engine.Gate.ExclusiveRuns);
        foreach (var item in prepared.Concat(serialItems))
        {
            item.Dispose();
        }
    }

    [Fact]
    public void Only_the_first_runs_of_a_captured_graph_id_are_exclusive()
    {
        for (var runs = 0; runs < CaptureGate.RunsUntilReplay; runs++)
        {
            Assert.True(CaptureGate.MayCapture(capturesGraphs: true, hasGraphId: true, runs), $"run {runs} of a graph id");
        }

        Assert.False(CaptureGate.MayCapture(true, true, CaptureGate.RunsUntilReplay)); // replays
        Assert.False(CaptureGate.MayCapture(true, true, 1_000));
        Assert.False(CaptureGate.MayCapture(true, hasGraphId: false, 0)); // past MaxCudaGraphs: run uncaptured
        Assert.False(CaptureGate.MayCapture(capturesGraphs: false, true, 0)); // CPU, or graphs off
        Assert.True(CaptureGate.RunsUntilReplay >= 2, "ONNX Runtime captures after its regular warm-up run(s)");
    }

    [Fact]
    public void A_capturing_run_waits_for_a_preprocess_in_progress_and_replays_do_not_take_the_gate()
    {
        using var gate = new CaptureGate();
        gate.EnterShared(); // a Preprocess run on this thread
        Assert.False(OnOtherThread(() => TryExclusive(gate)), "a capture started during Preprocess");
        gate.ExitShared();
        Assert.True(OnOtherThread(() => TryExclusive(gate)), "the capture could not start after Preprocess ended");
        Assert.Equal(1, gate.ExclusiveRuns);

        // While a capture runs, Preprocess waits.
        gate.EnterExclusive();
        Assert.False(OnOtherThread(() =>
        {
            if (!gate.TryEnterSharedForTest(TimeSpan.Zero))
            {
                return false;
            }

            gate.ExitShared();
            return true;
        }));
        gate.ExitExclusive();
    }

    private static bool TryExclusive(CaptureGate gate)
    {
        if (!gate.TryEnterExclusive(TimeSpan.Zero))
        {
            return false;
        }

        gate.ExitExclusive();
        return true;
    }

    private static bool OnOtherThread(Func<bool> action)
    {
        // The gate's lock is thread-affine: the other side must really be another thread.
        var result = false;
        var thread = new Thread(() => result = action());
        thread.Start();
        thread.Join();
        return result;
    }

    /// <param name="compareNoise">Also compare the latents (only while neither item has stepped).</param>
    private static void AssertSameConditioning(IEngineItem expected, IEngineItem actual, string what, bool compareNoise)
    {
        var e = (BatchedItem)expected;
        var a = (BatchedItem)actual;
        Assert.Equal(e.ReferenceFrames, a.ReferenceFrames);
        Close.Assert(e.Cond, a.Cond, Tolerance, what + " cond");
        Close.Assert(e.CondDrop, a.CondDrop, Tolerance, what + " cond_drop");
        if (compareNoise)
        {
            Close.Assert(e.Latent, a.Latent, 0, what + " initial noise");
        }
    }

    /// <summary>Steps the items as one batch, dropping each when done, then decodes them all in order.</summary>
    private static IReadOnlyList<float[]> Finish(BatchedF5Engine engine, IEngineItem[] items)
    {
        var running = items.ToList();
        while (running.Count > 0)
        {
            engine.RunStep(running, CancellationToken.None);
            running.RemoveAll(i => i.IsComplete);
        }

        return engine.Decode(items, CancellationToken.None);
    }
}
