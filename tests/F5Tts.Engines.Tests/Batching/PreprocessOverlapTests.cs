using System.Diagnostics.Metrics;
using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging.Abstractions;

namespace F5Tts.Engines.Tests.Batching;

/// <summary>
/// Preprocess overlapping the Transformer steps (F5Tts:Batching:OverlapPreprocess) with the real engine on the tiny
/// f5tts-batched/1 fixture (ONNX Runtime, CPU). A <see cref="HeldPrepareEngine"/> holds one request's Prepare so the
/// test decides when it ends; what the scheduler does meanwhile is read from its step counter, never from timing.
/// </summary>
public sealed class PreprocessOverlapTests : IDisposable
{
    // Batched vs alone differ only by reduction order over padded rows (see BatchedEngineMechanicsTests).
    private const double BatchTolerance = 1e-5;
    private const long HeldSeed = 2;

    private readonly ITtsEngine _real;
    private readonly HeldPrepareEngine _engine;
    private readonly TestMeterFactory _meters = new();
    private readonly F5TtsMetrics _metrics;

    public PreprocessOverlapTests()
    {
        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU" };
        _real = OnnxTtsEngineFactory.Create(Fixtures.Model("tiny-v1-batched"), options, NullLoggerFactory.Instance);
        _engine = new HeldPrepareEngine(_real, input => input.Sampler.Seed == HeldSeed);
        _metrics = new F5TtsMetrics(_meters);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _real.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_batched_engine_allows_concurrent_prepare_and_the_option_turns_overlap_off()
    {
        Assert.True(_real.ConcurrentPrepare);
        using var on = new BatchScheduler(_real, new BatchingOptions { OverlapPreprocess = true }, _metrics, NullLogger.Instance);
        using var off = new BatchScheduler(_real, new BatchingOptions { OverlapPreprocess = false }, _metrics, NullLogger.Instance);
        using var single = new BatchScheduler(_real, new BatchingOptions { MaxBatchSize = 1, OverlapPreprocess = true }, _metrics, NullLogger.Instance);
        Assert.True(on.OverlapsPreprocess);
        Assert.False(off.OverlapsPreprocess);
        Assert.False(single.OverlapsPreprocess); // nothing to prepare ahead of a batch of one
        using var byDefault = new BatchScheduler(_real, new BatchingOptions(), _metrics, NullLogger.Instance);
        Assert.False(byDefault.OverlapsPreprocess); // off until measured on a GPU (docs/serving.md)
    }

    [Fact]
    public async Task Steps_go_on_while_a_request_is_prepared_it_counts_toward_the_batch_and_joins_when_ready()
    {
        using var scheduler = Start(new BatchingOptions { MaxBatchSize = 2, MaxWaitMilliseconds = 0, OverlapPreprocess = true });
        using var background = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var longInput = SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 1024);
        var longJob = scheduler.SubmitAsync(longInput, background.Token);
        await WaitForStepsAsync(scheduler, 3);

        var heldInput = SchedulerTestKit.Input(frames: 240, seed: HeldSeed, nfe: 6);
        var held = scheduler.SubmitAsync(heldInput, Ct);
        await _engine.Entered.WaitAsync(Ct);
        var third = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 250, seed: 3, nfe: 4), Ct);

        // The worker keeps stepping the running batch while the held request is in Preprocess on the other thread...
        var before = scheduler.StepCount;
        await WaitForStepsAsync(scheduler, before + 5);
        Assert.False(held.IsCompleted);

        // ...and the held request already fills the second batch slot: the third one must wait.
        Assert.Equal(2, scheduler.RunningCount);
        Assert.Equal(1, scheduler.WaitingCount);

        var released = scheduler.StepCount;
        _engine.Release();
        var h = await held;
        var t = await third;
        await background.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => longJob);

        Assert.True(h.AdmittedAtStep >= released, $"joined at step {h.AdmittedAtStep}, released at {released}");
        Assert.Equal(2, h.MaxBatchSize);
        Assert.True(t.AdmittedAtStep >= h.CompletedAtStep, $"third admitted at {t.AdmittedAtStep}, held done at {h.CompletedAtStep}");
        Assert.True(t.MaxBatchSize <= 2);
        Assert.True(_engine.PreparesOffWorker >= 2, $"{_engine.PreparesOffWorker} prepares off the worker thread");
        Close.Assert(SchedulerTestKit.RunAlone(_real, heldInput), h.Audio, BatchTolerance, "prepared-while-stepping item vs alone");
    }

    [Fact]
    public async Task Cancelling_a_request_while_it_is_prepared_completes_it_at_once_and_the_batch_goes_on()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, OverlapPreprocess = true });
        using var background = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var longJob = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 1024), background.Token);
        await WaitForStepsAsync(scheduler, 2);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var doomed = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 240, seed: HeldSeed, nfe: 6), cancel.Token);
        await _engine.Entered.WaitAsync(Ct);
        await cancel.CancelAsync();

        // Completed at a step boundary although its Preprocess is still held.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        Assert.Equal(2, scheduler.RunningCount); // its slot is freed only when the item comes back

        _engine.Release();
        await WaitUntilAsync(() => scheduler.RunningCount == 1); // the late item was dropped, not joined
        var steps = scheduler.StepCount;
        await WaitForStepsAsync(scheduler, steps + 3);
        Assert.False(longJob.IsCompleted);
        await background.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => longJob);
        await WaitUntilAsync(() => scheduler.RunningCount == 0);

        // The scheduler serves on.
        var afterInput = SchedulerTestKit.Input(frames: 220, seed: 5, nfe: 4);
        var after = await scheduler.SubmitAsync(afterInput, Ct);
        Close.Assert(SchedulerTestKit.RunAlone(_real, afterInput), after.Audio, BatchTolerance, "next request vs alone");
    }

    [Fact]
    public async Task A_failing_prepare_on_the_preparation_thread_fails_only_its_request()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, OverlapPreprocess = true });
        var goodInput = SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 30);
        var good = scheduler.SubmitAsync(goodInput, Ct);
        await WaitForStepsAsync(scheduler, 2);

        // Held first, then refused by the real engine (an id outside the vocabulary) while the batch steps on.
        var broken = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 240, seed: HeldSeed, nfe: 6) with { TextIds = [1, 2, 99_999] }, Ct);
        await _engine.Entered.WaitAsync(Ct);
        _engine.Release();

        await Assert.ThrowsAsync<ArgumentException>(() => broken);
        var goodAudio = (await good).Audio;
        Close.Assert(SchedulerTestKit.RunAlone(_real, goodInput), goodAudio, BatchTolerance, "neighbour of a failed prepare vs alone");
        Assert.NotEmpty((await scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 200, seed: 4, nfe: 4), Ct)).Audio);
        Assert.Equal(0, scheduler.RunningCount);
    }

    [Fact]
    public async Task Drain_waits_for_a_request_in_preparation_and_finishes_it()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, OverlapPreprocess = true });
        var running = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 8), Ct);
        await WaitForStepsAsync(scheduler, 1);
        var heldInput = SchedulerTestKit.Input(frames: 240, seed: HeldSeed, nfe: 6);
        var held = scheduler.SubmitAsync(heldInput, Ct);
        await _engine.Entered.WaitAsync(Ct);

        var drain = scheduler.DrainAsync(Ct);
        Assert.NotEmpty((await running).Audio);
        Assert.False(drain.IsCompleted); // the held request is still to be served

        _engine.Release();
        await drain;
        var heldAudio = (await held).Audio;
        Close.Assert(SchedulerTestKit.RunAlone(_real, heldInput), heldAudio, BatchTolerance, "drained item vs alone");
        Assert.Equal(0, scheduler.RunningCount);
    }

    [Fact]
    public async Task A_forced_stop_with_a_prepare_in_flight_fails_every_request_as_not_ready()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, OverlapPreprocess = true });
        var running = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 1024), Ct);
        await WaitForStepsAsync(scheduler, 1);
        var held = scheduler.SubmitAsync(SchedulerTestKit.Input(frames: 240, seed: HeldSeed, nfe: 6), Ct);
        await _engine.Entered.WaitAsync(Ct);

        using var gaveUp = new CancellationTokenSource();
        await gaveUp.CancelAsync();
        await scheduler.DrainAsync(gaveUp.Token); // returns once the worker (and the preparation thread) stopped

        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => held)).Kind);
        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => running)).Kind);
        Assert.Equal(0, scheduler.RunningCount);
    }

    [Fact]
    public async Task Overlapped_and_serial_preprocess_give_the_same_audio()
    {
        var inputs = new[] { SchedulerTestKit.Input(200, 11, 8), SchedulerTestKit.Input(230, 12, 8), SchedulerTestKit.Input(260, 13, 6), SchedulerTestKit.Input(210, 14, 7), SchedulerTestKit.Input(240, 15, 5), SchedulerTestKit.Input(220, 16, 9) };
        var overlapped = await RunAllAsync(true);
        var serial = await RunAllAsync(false);
        for (var i = 0; i < inputs.Length; i++)
        {
            Close.Assert(serial[i], overlapped[i], BatchTolerance, $"item {i} overlapped vs serial");
        }

        async Task<float[][]> RunAllAsync(bool overlap)
        {
            _engine.Release();
            using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, OverlapPreprocess = overlap });
            Assert.Equal(overlap, scheduler.OverlapsPreprocess);
            var first = inputs.Take(3).Select(i => scheduler.SubmitAsync(i, Ct)).ToArray();
            await WaitForStepsAsync(scheduler, scheduler.StepCount + 2); // the rest join a running batch
            var rest = inputs.Skip(3).Select(i => scheduler.SubmitAsync(i, Ct)).ToArray();
            var outcomes = await Task.WhenAll(first.Concat(rest));
            return outcomes.Select(o => o.Audio).ToArray();
        }
    }

    [Fact]
    public async Task Overlap_records_the_preprocess_stage_and_the_queue_wait_once_per_request()
    {
        var preprocess = 0;
        var queueWait = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this test's meter: other test classes record on meters of the same name in parallel.
            if (_meters.Owns(instrument.Meter) && instrument.Name is "f5tts_stage_duration" or "f5tts_queue_wait")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (instrument.Name == "f5tts_queue_wait")
            {
                Interlocked.Increment(ref queueWait);
            }
            else if (tags.ToArray().Any(t => t.Key == "stage" && (string?)t.Value == "preprocess"))
            {
                Interlocked.Increment(ref preprocess);
            }
        });
        listener.Start();

        _engine.Release();
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, OverlapPreprocess = true });
        var first = scheduler.SubmitAsync(SchedulerTestKit.Input(240, 21, 12), Ct);
        await WaitForStepsAsync(scheduler, 2);
        await Task.WhenAll(first, scheduler.SubmitAsync(SchedulerTestKit.Input(250, 22, 6), Ct), scheduler.SubmitAsync(SchedulerTestKit.Input(230, 23, 6), Ct));

        Assert.Equal(3, Volatile.Read(ref preprocess));
        Assert.Equal(3, Volatile.Read(ref queueWait));
    }

    private BatchScheduler Start(BatchingOptions options)
    {
        var scheduler = new BatchScheduler(_engine, options, _metrics, NullLogger.Instance);
        scheduler.Start();
        return scheduler;
    }

    private static async Task WaitForStepsAsync(BatchScheduler scheduler, long steps) =>
        await WaitUntilAsync(() => scheduler.StepCount >= steps);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // Synchronisation, not a timing assertion: a generous bound only keeps a broken scheduler from hanging the run.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(1, timeout.Token);
        }
    }
}
