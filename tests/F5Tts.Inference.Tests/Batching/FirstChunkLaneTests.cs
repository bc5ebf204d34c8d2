using F5Tts.Inference.Batching;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// The first-chunk lane (<see cref="BatchingOptions.FirstChunkLane"/>, on by default): while a batch runs, first chunks of
/// streams run as a batch of their own, to the end, between two of its steps; the running batch waits at most one lane
/// run in a row. Driven by the fake engine (which holds the worker inside chosen steps and records each call's items)
/// and the fake clock, so every assertion is about step numbers and batch members, not time.
/// </summary>
public sealed class FirstChunkLaneTests : FakeSchedulerTest
{
    private static readonly BatchingOptions NoWaits = new() { MaxWaitMilliseconds = 0, CohortWaitMilliseconds = 0, CohortHoldFraction = 0.5 };

    [Fact]
    public async Task A_first_chunk_runs_to_its_end_in_the_lane_while_the_running_batch_pauses()
    {
        var (scheduler, running) = await StartHeldAsync(NoWaits, holdStep: 3, runningSteps: 12);
        var first = Submit(scheduler, 2, steps: 4, firstOfStream: true);
        Engine.Release();

        var f = await first.WaitAsync(Bound, Ct);
        var r = await running.WaitAsync(Bound, Ct);
        Assert.Equal(3, f.AdmittedAtStep);
        Assert.Equal(7, f.CompletedAtStep); // calls 4–7: its own four steps, one after the other
        Assert.Equal(1, f.MaxBatchSize); // never in the running batch
        Assert.Equal(1, r.MaxBatchSize);
        Assert.Equal(16, r.CompletedAtStep); // 12 steps of its own, paused for the lane's 4
        var calls = Engine.Batches;
        Assert.All(calls.Skip(3).Take(4), c => Assert.Equal([2L], c));
        Assert.Equal(16, calls.Count);
    }

    [Fact]
    public async Task A_first_chunk_arriving_during_a_lane_run_joins_it_and_the_running_batch_gets_its_turn_after_one_run()
    {
        var (scheduler, running) = await StartHeldAsync(NoWaits, holdStep: 2, runningSteps: 20);
        var a = Submit(scheduler, 2, steps: 4, firstOfStream: true);
        var heldInLane = Engine.HoldAlso(4); // a's second step
        Engine.Release();
        await heldInLane.WaitAsync(Bound, Ct);
        var b = Submit(scheduler, 3, steps: 4, firstOfStream: true);
        Engine.Release();

        var (fa, fb, r) = (await a.WaitAsync(Bound, Ct), await b.WaitAsync(Bound, Ct), await running.WaitAsync(Bound, Ct));
        Assert.Equal(4, fb.AdmittedAtStep); // joined the lane's batch at the next step
        Assert.Equal(6, fa.CompletedAtStep);
        var calls = Engine.Batches;
        Assert.Equal([2L, 3L], calls[4]); // call 5: both first chunks in one lane step
        Assert.Equal([1L], calls[6]); // call 7: four lane steps in a row (one run) — the running batch's turn
        Assert.Equal(9, fb.CompletedAtStep); // b's last two steps after that turn
        Assert.Equal(2, fb.MaxBatchSize);
        Assert.Equal(26, r.CompletedAtStep); // 20 steps of its own and the lane's 6
    }

    [Fact]
    public async Task A_listener_that_leaves_ends_its_lane_work_at_the_next_step()
    {
        var (scheduler, running) = await StartHeldAsync(NoWaits, holdStep: 2, runningSteps: 10);
        using var leaves = new CancellationTokenSource();
        using var admission = scheduler.Admit(1, leaves.Token);
        var first = admission.Submit(FakeEngine.Input(2, steps: 50), firstOfStream: true);
        var heldInLane = Engine.HoldAlso(3);
        Engine.Release();
        await heldInLane.WaitAsync(Bound, Ct);
        await leaves.CancelAsync();
        Engine.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Bound, Ct));
        var r = await running.WaitAsync(Bound, Ct);
        Assert.Equal(11, r.CompletedAtStep); // one lane step, then its own 10
        Assert.Equal(11, Engine.Batches.Count);
    }

    [Fact]
    public async Task With_the_lane_off_a_first_chunk_rides_in_the_running_batch()
    {
        var (scheduler, running) = await StartHeldAsync(
            new BatchingOptions { MaxWaitMilliseconds = 0, CohortWaitMilliseconds = 0, CohortHoldFraction = 0.5, FirstChunkLane = false }, holdStep: 3, runningSteps: 12);
        var first = Submit(scheduler, 2, steps: 4, firstOfStream: true);
        Engine.Release();

        var f = await first.WaitAsync(Bound, Ct);
        var r = await running.WaitAsync(Bound, Ct);
        Assert.Equal(7, f.CompletedAtStep);
        Assert.Equal(2, f.MaxBatchSize);
        Assert.Equal(12, r.CompletedAtStep);
    }
}
