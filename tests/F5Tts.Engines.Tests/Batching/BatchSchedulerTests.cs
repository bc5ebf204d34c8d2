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
/// The batch scheduler driving the real engine on the tiny f5tts-batched/1 fixture (ONNX Runtime, CPU): step-level
/// continuous batching, per-item results equal to running alone, admission bound, cancellation, drain and engine
/// faults. Ordering is shown by the scheduler's step counter, never by timing. The policy and the queue alone are
/// unit-tested with a fake engine and a fake clock in F5Tts.Inference.Tests (Batching/).
/// </summary>
public sealed class BatchSchedulerTests : IDisposable
{
    // Batched vs alone differ only by reduction order over padded rows (see BatchedEngineMechanicsTests).
    private const double BatchTolerance = 1e-5;

    private readonly ITtsEngine _engine;
    private readonly TestMeterFactory _meters = new();
    private readonly F5TtsMetrics _metrics;

    public BatchSchedulerTests()
    {
        var options = new EngineOptions { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU" };
        _engine = OnnxTtsEngineFactory.Create(Fixtures.Model("tiny-v1-batched"), options, NullLoggerFactory.Instance);
        _metrics = new F5TtsMetrics(_meters);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_arriving_mid_batch_joins_at_a_step_boundary_and_leaves_when_done()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0 });
        var longJob = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 260, seed: 1, nfe: 64), Ct);
        await WaitForStepsAsync(scheduler, 3);
        var shortInput = SchedulerTestKit.Input(frames: 240, seed: 2, nfe: 6);
        var shortJob = scheduler.SubmitOneAsync(shortInput, Ct);

        var a = await longJob;
        var b = await shortJob;

        Assert.True(b.AdmittedAtStep >= 3, $"joined at step {b.AdmittedAtStep}");
        Assert.True(b.CompletedAtStep < a.CompletedAtStep, $"short finished at {b.CompletedAtStep}, long at {a.CompletedAtStep}");
        Assert.Equal(2, b.MaxBatchSize);
        Assert.Equal(a.AdmittedAtStep + 64, a.CompletedAtStep);
        Close.Assert(SchedulerTestKit.RunAlone(_engine, shortInput), b.Audio, BatchTolerance, "joined item vs alone");
    }

    [Theory]
    [InlineData(4)] // Preprocess of the four on up to four threads at once
    [InlineData(1)] // one by one
    public async Task Concurrent_requests_share_transformer_calls_and_each_equals_its_solo_run(int prepareParallelism)
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 200, PrepareParallelism = prepareParallelism });
        var inputs = new[] { SchedulerTestKit.Input(200, 11, 8), SchedulerTestKit.Input(230, 12, 8), SchedulerTestKit.Input(260, 13, 6), SchedulerTestKit.Input(210, 14, 7) };
        var outcomes = await Task.WhenAll(inputs.Select(i => scheduler.SubmitOneAsync(i, Ct)));

        Assert.All(outcomes, o => Assert.Equal(4, o.MaxBatchSize));
        for (var i = 0; i < inputs.Length; i++)
        {
            Close.Assert(SchedulerTestKit.RunAlone(_engine, inputs[i]), outcomes[i].Audio, BatchTolerance, $"item {i} batched vs alone");
        }
    }

    [Fact]
    public async Task Length_bucketing_keeps_a_much_longer_request_out_of_a_running_batch()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, MaxLengthRatio = 1.5, MaxBucketWaitMilliseconds = 600_000 });
        var shortJob = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 200, seed: 3, nfe: 40), Ct);
        await WaitForStepsAsync(scheduler, 2);
        var longJob = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 900, seed: 4, nfe: 4), Ct);

        var s = await shortJob;
        var l = await longJob;
        Assert.Equal(1, l.MaxBatchSize);
        Assert.True(l.AdmittedAtStep >= s.CompletedAtStep, $"long admitted at {l.AdmittedAtStep}, short done at {s.CompletedAtStep}");
    }

    [Fact]
    public async Task Full_queue_rejects_with_retry_after_and_a_cancelled_waiter_frees_its_slot_at_once()
    {
        using var scheduler = Start(new BatchingOptions { MaxBatchSize = 1, QueueCapacity = 1, MaxWaitMilliseconds = 0, RetryAfterSeconds = 3 });
        var running = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 300, seed: 5, nfe: 64), Ct);
        await WaitForStepsAsync(scheduler, 1);
        using var waiterCancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiter = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 200, seed: 6, nfe: 4), waiterCancel.Token);
        Assert.Equal(1, scheduler.WaitingCount);

        var full = Assert.Throws<TtsException>(() => { _ = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 200, seed: 7, nfe: 4), Ct); });
        Assert.Equal(TtsErrorKind.QueueFull, full.Kind);
        Assert.Equal(TimeSpan.FromSeconds(3), full.RetryAfter);

        await waiterCancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(0, scheduler.WaitingCount);
        var admitted = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 200, seed: 8, nfe: 4), Ct);

        Assert.Equal(64, (await running).CompletedAtStep - (await running).AdmittedAtStep);
        Assert.NotEmpty((await admitted).Audio);
    }

    [Fact]
    public async Task Cancelling_a_running_request_removes_it_and_the_batch_goes_on()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 200 });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var doomedInput = SchedulerTestKit.Input(frames: 220, seed: 9, nfe: 64);
        var keptInput = SchedulerTestKit.Input(frames: 230, seed: 10, nfe: 12);
        var doomed = scheduler.SubmitOneAsync(doomedInput, cancel.Token);
        var kept = scheduler.SubmitOneAsync(keptInput, Ct);
        await WaitForStepsAsync(scheduler, 2);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        var result = await kept;
        Close.Assert(SchedulerTestKit.RunAlone(_engine, keptInput), result.Audio, BatchTolerance, "survivor vs alone");
        Assert.True(scheduler.StepCount < 64, $"the cancelled item kept the worker busy for {scheduler.StepCount} steps");
        Assert.Equal(0, scheduler.RunningCount);
    }

    [Fact]
    public async Task Drain_finishes_running_and_queued_work_and_refuses_new_requests()
    {
        using var scheduler = Start(new BatchingOptions { MaxBatchSize = 1, MaxWaitMilliseconds = 0 });
        var running = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 250, seed: 15, nfe: 32), Ct);
        var queued = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 250, seed: 16, nfe: 8), Ct);
        await WaitForStepsAsync(scheduler, 1);

        var drain = scheduler.DrainAsync(Ct);
        var refused = Assert.Throws<TtsException>(() => { _ = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 200, seed: 17, nfe: 4), Ct); });
        Assert.Equal(TtsErrorKind.NotReady, refused.Kind);
        await drain;

        Assert.NotEmpty((await running).Audio);
        Assert.NotEmpty((await queued).Audio);
    }

    [Fact]
    public async Task An_engine_fault_fails_only_the_affected_request_and_the_worker_keeps_serving()
    {
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 200 });
        var goodInput = SchedulerTestKit.Input(frames: 240, seed: 20, nfe: 6);
        var good = scheduler.SubmitOneAsync(goodInput, Ct);
        // An id outside the vocabulary: the engine refuses it when preparing the item.
        var broken = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 240, seed: 21, nfe: 6) with { TextIds = [1, 2, 99_999] }, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => broken);
        var goodAudio = (await good).Audio;
        Close.Assert(SchedulerTestKit.RunAlone(_engine, goodInput), goodAudio, BatchTolerance, "neighbour of a failed item vs alone");
        var after = await scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 200, seed: 22, nfe: 4), Ct);
        Assert.NotEmpty(after.Audio);
        Assert.Equal(0, scheduler.RunningCount); // the failed request does not stay counted as running
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public async Task A_request_arriving_when_the_batch_is_about_to_finish_waits_for_the_next_cohort(double hold)
    {
        // 64 steps; the newcomer arrives after step 40, i.e. with at most 24 (< half) left.
        using var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, CohortHoldFraction = hold });
        var running = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 240, seed: 60, nfe: 64), Ct);
        await WaitForStepsAsync(scheduler, 40);
        var late = scheduler.SubmitOneAsync(SchedulerTestKit.Input(frames: 220, seed: 61, nfe: 6), Ct);

        var a = await running;
        var b = await late;
        if (hold > 0)
        {
            Assert.True(b.AdmittedAtStep >= a.CompletedAtStep, $"held: admitted at step {b.AdmittedAtStep}, the batch finished at {a.CompletedAtStep}");
            Assert.Equal(1, b.MaxBatchSize);
        }
        else
        {
            Assert.True(b.AdmittedAtStep < a.CompletedAtStep, $"joined at step {b.AdmittedAtStep}, the batch finished at {a.CompletedAtStep}");
            Assert.Equal(2, b.MaxBatchSize);
        }
    }

    private BatchScheduler Start(BatchingOptions options)
    {
        var scheduler = new BatchScheduler(_engine, options, _metrics, NullLogger.Instance);
        scheduler.Start();
        return scheduler;
    }

    private static async Task WaitForStepsAsync(BatchScheduler scheduler, long steps)
    {
        // Synchronisation, not a timing assertion: wait until the worker has really started stepping.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard, not a speed limit
        while (scheduler.StepCount < steps)
        {
            await Task.Delay(1, timeout.Token);
        }
    }
}
