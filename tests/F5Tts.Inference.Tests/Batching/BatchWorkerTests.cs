using F5Tts.Inference.Batching;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// The worker loop on a fake engine and a fake clock: the fill wait, the cohort hold, cancellation, faults, drain and
/// forced stop. The clock moves only when a test moves it and says when the worker starts to wait for more requests,
/// and the engine can hold the worker inside a step; nothing depends on how fast this machine is.
/// </summary>
public sealed class BatchWorkerTests : FakeSchedulerTest
{
    [Fact]
    public async Task A_cold_worker_waits_up_to_MaxWait_from_the_first_arrival_for_a_full_batch()
    {
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 3 });
        var a = Submit(scheduler, 1);
        await Clock.WaitArmedAsync(Ct);
        Assert.Equal(0, Engine.Prepared); // waiting for more, not started
        var b = Submit(scheduler, 2);
        await Clock.WaitArmedAsync(Ct); // still fewer than four: waits on
        Assert.Equal(0, Engine.Prepared);

        Clock.Advance(TimeSpan.FromMilliseconds(3));
        var outcomes = await WhenAll(a, b);
        Assert.All(outcomes, o => Assert.Equal(2, o.MaxBatchSize));
        Assert.Equal(outcomes[0].AdmittedAtStep, outcomes[1].AdmittedAtStep);
    }

    [Fact]
    public async Task Returning_clients_wait_for_the_last_batchs_peak_and_a_long_idle_worker_for_the_batch_limit_again()
    {
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 3, CohortWaitMilliseconds = 40, FillTargetWindowMilliseconds = 1_000 });
        var first = new[] { Submit(scheduler, 1), Submit(scheduler, 2) };
        await Clock.WaitArmedAsync(Ct);
        Clock.Advance(TimeSpan.FromMilliseconds(3));
        await WhenAll(first); // the busy period peaked at 2

        // Returning within the window: the fill target is 2, so the second arrival starts both without the clock moving.
        Clock.ForgetArmed();
        var x = Submit(scheduler, 3);
        await Clock.WaitArmedAsync(Ct);
        var y = Submit(scheduler, 4);
        var returning = await WhenAll(x, y);
        Assert.All(returning, o => Assert.Equal(2, o.MaxBatchSize));
        Assert.Equal(returning[0].AdmittedAtStep, returning[1].AdmittedAtStep);

        // Idle past the window: the target is the batch limit (4) again, so two arrivals keep waiting until MaxWait.
        Clock.Advance(TimeSpan.FromMilliseconds(1_001));
        Clock.ForgetArmed();
        var p = Submit(scheduler, 5);
        await Clock.WaitArmedAsync(Ct);
        var q = Submit(scheduler, 6);
        await Clock.WaitArmedAsync(Ct);
        Assert.False(p.IsCompleted);
        Clock.Advance(TimeSpan.FromMilliseconds(3));
        Assert.All(await WhenAll(p, q), o => Assert.Equal(2, o.MaxBatchSize));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public async Task A_request_arriving_in_the_last_part_of_a_batch_is_held_for_the_next_cohort(double hold)
    {
        // The newcomer arrives while step 41 of 64 runs: at most 24 (< half) left once it could join.
        var (scheduler, running) = await StartHeldAsync(
            new BatchingOptions { MaxWaitMilliseconds = 0, CohortWaitMilliseconds = 0, CohortHoldFraction = hold }, holdStep: 41, runningSteps: 64);
        var late = Submit(scheduler, 2, steps: 6);
        Engine.Release();

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
        Engine.HoldStep = 2;
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 0 });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var doomedAdmission = scheduler.Admit(1, cancel.Token);
        var doomed = doomedAdmission.Submit(FakeEngine.Input(1, steps: 64));
        var kept = Submit(scheduler, 2, steps: 8);
        await Engine.Held.Task.WaitAsync(Bound, Ct);
        await cancel.CancelAsync();
        Engine.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed.WaitAsync(Bound, Ct));
        Assert.Equal(8, (await kept.WaitAsync(Bound, Ct)).CompletedAtStep);
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }

    [Fact]
    public async Task Engine_faults_fail_only_the_affected_requests_and_the_worker_serves_on()
    {
        Engine.FailPrepareSeed = 1;
        Engine.FailStepSeed = 3;
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
        await Engine.WaitIdleReleaseAsync(Ct);
        Assert.Equal(1, Engine.IdleReleases); // four steps and a decode, one release

        await WhenAll(Submit(scheduler, 2));
        await Engine.WaitIdleReleaseAsync(Ct);
        Assert.Equal(2, Engine.IdleReleases);
    }

    [Fact]
    public async Task A_forced_stop_fails_running_and_waiting_requests_as_not_ready()
    {
        var (scheduler, running) = await StartHeldAsync(new BatchingOptions { MaxWaitMilliseconds = 0, MaxBatchSize = 1 }, holdStep: 1, runningSteps: 4);
        var waiting = Submit(scheduler, 2);

        using var gaveUp = new CancellationTokenSource();
        await gaveUp.CancelAsync();
        await scheduler.DrainAsync(gaveUp.Token).WaitAsync(Bound, Ct); // the held step is cancelled

        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => running.WaitAsync(Bound, Ct))).Kind);
        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => waiting.WaitAsync(Bound, Ct))).Kind);
        Assert.Equal(0, scheduler.RunningCount);
        Assert.Equal(0, scheduler.WaitingCount);
    }
}
