using F5Tts.Inference.Batching;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging.Abstractions;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// The worker loop on a fake engine and a fake clock: the fill wait, the cohort hold, cancellation, faults, drain and
/// forced stop. The clock moves only when a test moves it and says when the worker starts to wait for more requests,
/// and the engine can hold the worker inside a step; nothing depends on how fast this machine is.
/// </summary>
public sealed class BatchWorkerTests : IDisposable
{
    // Only keeps a broken worker from hanging the run; every wait below ends as soon as the worker does its part.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private readonly FakeEngine _engine = new(maxBatchSize: 4);
    private readonly WaitingClock _clock = new();
    private readonly TestMeters _meters = new();
    private readonly F5TtsMetrics _metrics;
    private BatchScheduler? _scheduler;

    public BatchWorkerTests() => _metrics = new F5TtsMetrics(_meters);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _scheduler?.Dispose();
        _engine.Dispose();
        _clock.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task A_cold_worker_waits_up_to_MaxWait_from_the_first_arrival_for_a_full_batch()
    {
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 3 });
        var a = Submit(scheduler, 1);
        await _clock.WaitArmedAsync(Ct);
        Assert.Equal(0, _engine.Prepared); // waiting for more, not started
        var b = Submit(scheduler, 2);
        await _clock.WaitArmedAsync(Ct); // still fewer than four: waits on
        Assert.Equal(0, _engine.Prepared);

        _clock.Advance(TimeSpan.FromMilliseconds(3));
        var outcomes = await WhenAll(a, b);
        Assert.All(outcomes, o => Assert.Equal(2, o.MaxBatchSize));
        Assert.Equal(outcomes[0].AdmittedAtStep, outcomes[1].AdmittedAtStep);
    }

    [Fact]
    public async Task Returning_clients_wait_for_the_last_batchs_peak_and_a_long_idle_worker_for_the_batch_limit_again()
    {
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 3, CohortWaitMilliseconds = 40, FillTargetWindowMilliseconds = 1_000 });
        var first = new[] { Submit(scheduler, 1), Submit(scheduler, 2) };
        await _clock.WaitArmedAsync(Ct);
        _clock.Advance(TimeSpan.FromMilliseconds(3));
        await WhenAll(first); // the busy period peaked at 2

        // Returning within the window: the fill target is 2, so the second arrival starts both without the clock moving.
        _clock.ForgetArmed();
        var x = Submit(scheduler, 3);
        await _clock.WaitArmedAsync(Ct);
        var y = Submit(scheduler, 4);
        var returning = await WhenAll(x, y);
        Assert.All(returning, o => Assert.Equal(2, o.MaxBatchSize));
        Assert.Equal(returning[0].AdmittedAtStep, returning[1].AdmittedAtStep);

        // Idle past the window: the target is the batch limit (4) again, so two arrivals keep waiting until MaxWait.
        _clock.Advance(TimeSpan.FromMilliseconds(1_001));
        _clock.ForgetArmed();
        var p = Submit(scheduler, 5);
        await _clock.WaitArmedAsync(Ct);
        var q = Submit(scheduler, 6);
        await _clock.WaitArmedAsync(Ct);
        Assert.False(p.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(3));
        Assert.All(await WhenAll(p, q), o => Assert.Equal(2, o.MaxBatchSize));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public async Task A_request_arriving_in_the_last_part_of_a_batch_is_held_for_the_next_cohort(double hold)
    {
        // The newcomer arrives while step 41 of 64 runs: at most 24 (< half) left once it could join.
        _engine.HoldStep = 41;
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, CohortWaitMilliseconds = 0, CohortHoldFraction = hold });
        var running = Submit(scheduler, 1, steps: 64);
        await _engine.Held.Task.WaitAsync(Bound, Ct);
        var late = Submit(scheduler, 2, steps: 6);
        _engine.Release();

        var a = await running.WaitAsync(Bound, Ct);
        var b = await late.WaitAsync(Bound, Ct);
        if (hold > 0)
        {
            Assert.Equal(a.CompletedAtStep, b.AdmittedAtStep);
            Assert.Equal(1, b.MaxBatchSize);
        }
        else
        {
            Assert.Equal(41, b.AdmittedAtStep);
            Assert.Equal(2, b.MaxBatchSize);
        }
    }

    [Fact]
    public async Task A_running_request_cancelled_mid_batch_leaves_at_the_next_step_boundary_and_the_others_go_on()
    {
        _engine.HoldStep = 2;
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0 });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var doomedAdmission = scheduler.Admit(1, cancel.Token);
        var doomed = doomedAdmission.Submit(FakeEngine.Input(1, steps: 64));
        var kept = Submit(scheduler, 2, steps: 8);
        await _engine.Held.Task.WaitAsync(Bound, Ct);
        await cancel.CancelAsync();
        _engine.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed.WaitAsync(Bound, Ct));
        Assert.Equal(8, (await kept.WaitAsync(Bound, Ct)).CompletedAtStep);
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    [Fact]
    public async Task Engine_faults_fail_only_the_affected_requests_and_the_worker_serves_on()
    {
        _engine.FailPrepareSeed = 1;
        _engine.FailStepSeed = 3;
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0 });
        await Assert.ThrowsAsync<ArgumentException>(() => Submit(scheduler, 1).WaitAsync(Bound, Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Submit(scheduler, 3).WaitAsync(Bound, Ct));
        var served = await Submit(scheduler, 2).WaitAsync(Bound, Ct);
        Assert.Equal([2f], served.Audio);
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    [Fact]
    public async Task The_drain_lets_an_admitted_request_submit_its_later_chunks_and_only_then_stops_the_worker()
    {
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0 });
        var admission = scheduler.Admit(2, Ct);
        var first = await admission.Submit(FakeEngine.Input(1)).WaitAsync(Bound, Ct);

        var drain = scheduler.DrainAsync(Ct);
        Assert.Equal(TtsErrorKind.NotReady, Assert.Throws<TtsException>(() => scheduler.Admit(1, Ct)).Kind);
        var second = await admission.Submit(FakeEngine.Input(2)).WaitAsync(Bound, Ct);
        await drain.WaitAsync(Bound, Ct);

        Assert.Equal([1f], first.Audio);
        Assert.Equal([2f], second.Audio);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    [Fact]
    public async Task The_worker_releases_idle_memory_once_each_time_it_goes_idle_after_work()
    {
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0 });
        await WhenAll(Submit(scheduler, 1, steps: 4));
        await _engine.WaitIdleReleaseAsync(Ct);
        Assert.Equal(1, _engine.IdleReleases); // four steps and a decode, one release

        await WhenAll(Submit(scheduler, 2));
        await _engine.WaitIdleReleaseAsync(Ct);
        Assert.Equal(2, _engine.IdleReleases);
    }

    [Fact]
    public async Task A_forced_stop_fails_running_and_waiting_requests_as_not_ready()
    {
        _engine.HoldStep = 1;
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0, MaxBatchSize = 1 });
        var running = Submit(scheduler, 1);
        await _engine.Held.Task.WaitAsync(Bound, Ct);
        var waiting = Submit(scheduler, 2);

        using var gaveUp = new CancellationTokenSource();
        await gaveUp.CancelAsync();
        await scheduler.DrainAsync(gaveUp.Token).WaitAsync(Bound, Ct); // the held step is cancelled

        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => running.WaitAsync(Bound, Ct))).Kind);
        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => waiting.WaitAsync(Bound, Ct))).Kind);
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    private BatchScheduler Start(BatchingOptions options)
    {
        _scheduler = new BatchScheduler(_engine, options, _metrics, NullLogger.Instance, "test", _clock);
        _scheduler.Start();
        return _scheduler;
    }

    private static Task<SynthesisOutcome> Submit(BatchScheduler scheduler, long seed, int steps = 4)
    {
        using var admission = scheduler.Admit(1, Ct);
        return admission.Submit(FakeEngine.Input(seed, steps));
    }

    private static Task<SynthesisOutcome[]> WhenAll(params Task<SynthesisOutcome>[] jobs) =>
        Task.WhenAll(jobs).WaitAsync(Bound, Ct);
}
