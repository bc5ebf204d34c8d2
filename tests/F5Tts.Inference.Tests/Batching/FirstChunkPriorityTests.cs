using F5Tts.Inference.Batching;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// The first chunk of a stream joins at the next step boundary: past the cohort hold, without a fill wait, and outside
/// the length ratio — while an ordinary request in the same situation waits. With the first-chunk lane off it joins the
/// running batch itself (<see cref="FirstChunkLaneTests"/> has the lane). Driven by the fake engine
/// (which holds the worker inside a chosen step) and the fake clock (which never moves unless a test moves it), so every
/// assertion is about step numbers, not time.
/// </summary>
public sealed class FirstChunkPriorityTests : FakeSchedulerTest
{
    private static readonly BatchLimits Limits = new(MaxBatchSize: 4, MaxBatchFrames: 4_000, MaxLengthRatio: 1.5, MaxBucketWait: TimeSpan.FromMilliseconds(500));

    [Fact]
    public void A_first_chunk_joins_whatever_its_length_and_goes_before_earlier_arrivals()
    {
        // Running items of 1 000 frames: 200 frames is far outside the 1.5 ratio, yet the first chunk joins; the ordinary
        // request of the same length is passed over.
        var pending = new[] { new Candidate(200, TimeSpan.Zero), new Candidate(1_000, TimeSpan.Zero), new Candidate(200, TimeSpan.Zero, FirstOfStream: true) };
        Assert.Equal([1, 2], BatchPolicy.SelectAdmissions([1_000, 1_000], pending, Limits));
    }

    [Fact]
    public void A_first_chunk_keeps_the_batch_limit_and_the_padded_frame_bound()
    {
        var first = new Candidate(200, TimeSpan.Zero, FirstOfStream: true);
        Assert.Empty(BatchPolicy.SelectAdmissions([1_000, 1_000, 1_000, 1_000], [first], Limits)); // batch full
        Assert.Empty(BatchPolicy.SelectAdmissions([1_000, 1_000, 1_000], [first], Limits with { MaxBatchFrames = 3_500 })); // 4 × 1 000 > 3 500
        // Two first chunks and then an ordinary request: the first chunks do not narrow the length range of the others.
        Assert.Equal([0, 1, 2], BatchPolicy.SelectAdmissions([1_000], [first, first, new Candidate(1_100, TimeSpan.Zero)], Limits with { MaxBatchFrames = 8_000 }));
    }

    [Fact]
    public async Task Without_the_lane_a_first_chunk_arriving_in_the_last_part_of_a_batch_joins_it_at_the_next_step_while_an_ordinary_one_is_held()
    {
        // The newcomers arrive while step 41 of 64 runs: every running item has less than half its steps left.
        var (scheduler, running) = await StartHeldAsync(
            new BatchingOptions { MaxWaitMilliseconds = 0, CohortWaitMilliseconds = 0, CohortHoldFraction = 0.5, FirstChunkLane = false }, holdStep: 41, runningSteps: 64);
        var ordinary = Submit(scheduler, 2, steps: 6);
        var first = Submit(scheduler, 3, steps: 6, firstOfStream: true);
        Engine.Release();

        var r = await running.WaitAsync(Bound, Ct);
        var f = await first.WaitAsync(Bound, Ct);
        var o = await ordinary.WaitAsync(Bound, Ct);
        Assert.Equal(41, f.AdmittedAtStep); // the step boundary right after the one it arrived in
        Assert.True(f.MaxBatchSize >= 2, "the first chunk ran alone, not in the running batch");
        Assert.True(o.AdmittedAtStep > 41, $"the ordinary request joined at step {o.AdmittedAtStep}, inside the hold");
        Assert.Equal(64, r.CompletedAtStep);
    }

    [Fact]
    public async Task A_first_chunk_starts_an_idle_worker_at_once_where_an_ordinary_request_waits_to_fill_the_batch()
    {
        // Cold worker, MaxWait 1 s: an ordinary request waits for the clock (which never moves here); a first chunk
        // does not, and starts the ordinary one with it.
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 1_000 });
        var ordinary = Submit(scheduler, 1);
        await Clock.WaitArmedAsync(Ct);
        Assert.Equal(0, Engine.Prepared);

        var first = Submit(scheduler, 2, firstOfStream: true);
        var outcomes = await WhenAll(ordinary, first);
        Assert.All(outcomes, o => Assert.Equal(0, o.AdmittedAtStep));
        Assert.All(outcomes, o => Assert.Equal(2, o.MaxBatchSize));
    }

    [Fact]
    public async Task After_a_held_cohort_finished_a_first_chunk_skips_the_cohort_fill_wait()
    {
        // A cohort of two starts together (the cold fill wait ends when the clock moves once). A request arriving in its
        // last half is held and, once the batch finished, waits up to CohortWait (1 s; the clock does not move again)
        // for a second member; a first chunk arriving then ends that wait at once, for both.
        Engine.HoldStep = 3;
        var scheduler = Start(new BatchingOptions { MaxWaitMilliseconds = 1_000, CohortWaitMilliseconds = 1_000, CohortHoldFraction = 0.5 });
        var a = Submit(scheduler, 1, steps: 4);
        await Clock.WaitArmedAsync(Ct);
        var b = Submit(scheduler, 4, steps: 4);
        await Clock.WaitArmedAsync(Ct);
        Clock.Advance(TimeSpan.FromMilliseconds(1_000));
        await Engine.Held.Task.WaitAsync(Bound, Ct);
        Clock.ForgetArmed();
        var held = Submit(scheduler, 2, steps: 4);
        Engine.Release();
        var r = (await WhenAll(a, b))[0];
        await Clock.WaitArmedAsync(Ct); // the cohort fill wait began; the held request waits in it
        Assert.False(held.IsCompleted);

        var first = Submit(scheduler, 3, steps: 4, firstOfStream: true);
        var f = await first.WaitAsync(Bound, Ct);
        var h = await held.WaitAsync(Bound, Ct);
        Assert.Equal(r.CompletedAtStep, f.AdmittedAtStep);
        Assert.Equal(f.AdmittedAtStep, h.AdmittedAtStep); // the first chunk ended the wait for both
    }
}
