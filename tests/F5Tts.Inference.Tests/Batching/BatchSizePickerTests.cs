using F5Tts.Inference.Batching;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// Picking the batch size at start (docs/serving.md "Picking the batch size"): the rule as a pure function of measured
/// step times, and the calibration on the fake engine whose steps cost fake-clock time by batch size.
/// </summary>
public sealed class BatchSizePickerTests : FakeSchedulerTest
{
    // The H200's steps at N = 680 as a worker timed them (benchmarks/results/2026-12-03-h200-batch-picker-lane.md), ms.
    private static readonly StepTiming[] H200 = Timings((1, 2.2), (2, 3.4), (4, 6.2), (8, 12.1), (16, 23.2), (32, 45.7), (64, 95.4));

    [Theory]
    [InlineData(1200, 16, 0.03, 16)] // 32 is 1.4 % faster per item: under the tolerance; 64 × 16 steps = 1526 ms: over the budget
    [InlineData(1200, 16, 0.0, 32)]  // no tolerance: the best throughput within the budget
    [InlineData(500, 16, 0.0, 16)]   // 32 × 16 steps = 731 ms: over the budget
    [InlineData(0, 16, 0.0, 32)]     // no budget: the best throughput of all
    [InlineData(1200, 32, 0.03, 16)] // the measured run: 32 steps, 32 and 64 over the budget
    [InlineData(30, 16, 0.03, 1)]    // even batch 1 takes 35 ms: nothing fits, so 1
    public void The_smallest_size_within_the_tolerance_of_the_best_throughput_within_the_budget_is_kept(int budgetMs, int steps, double tolerance, int expected)
    {
        var choice = BatchSizePicker.Pick(H200, TimeSpan.FromMilliseconds(budgetMs), steps, tolerance);

        Assert.Equal(expected, choice.BatchSize);
        Assert.Equal(H200.Length, choice.Timings.Count);
        Assert.Contains("64: 95.4 ms", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void On_a_card_that_is_not_yet_saturated_the_largest_batch_is_kept() =>
        Assert.Equal(8, BatchSizePicker.Pick(Timings((1, 10), (2, 10), (4, 12), (8, 20)), TimeSpan.FromSeconds(1), 32, 0.03).BatchSize);

    [Theory]
    [InlineData(1, 32_768, new[] { 1 })]
    [InlineData(16, 32_768, new[] { 1, 2, 4, 8, 16 })]
    [InlineData(12, 32_768, new[] { 1, 2, 4, 8, 12 })]
    [InlineData(64, 32_768, new[] { 1, 2, 4, 8, 16, 32 })]         // 64 × 680 frames is past the frame budget
    [InlineData(64, 65_536, new[] { 1, 2, 4, 8, 16, 32, 64 })]
    [InlineData(4, 256, new[] { 1 })]                               // a single item always
    public void The_candidates_are_powers_of_two_below_the_limit_and_the_limit_within_the_frame_budget(int limit, int frames, int[] expected) =>
        Assert.Equal(expected, BatchSizePicker.Candidates(limit, frames));

    [Fact]
    public async Task The_worker_times_each_candidate_size_before_it_starts_and_then_keeps_to_the_picked_one()
    {
        // Batch 4 costs twice batch 2: no more throughput, so 2 is kept (batch 1 gives 0.1 items/ms, 2 and 4 0.167).
        var cost = new Dictionary<int, TimeSpan> { [1] = Ms(10), [2] = Ms(12), [4] = Ms(24) };
        Engine.OnStep = size => Clock.Advance(cost.GetValueOrDefault(size, Ms(24)));
        BatchSizeChoice? choice = null;
        var releasedBeforeStart = -1;
        const int calibrationSteps = 3 * (BatchSizePicker.WarmSteps + BatchSizePicker.TimedSteps);

        var (scheduler, running) = await StartHeldAsync(
            new BatchingOptions { MaxWaitMilliseconds = 0, CohortWaitMilliseconds = 0, CohortHoldFraction = 0 },
            holdStep: calibrationSteps + 1, runningSteps: 8,
            beforeStart: s =>
            {
                choice = s.PickBatchSize(TimeSpan.FromSeconds(1), steps: 32, tolerance: 0.03, Ct);
                releasedBeforeStart = Engine.IdleReleases;
            });
        var late = new[] { Submit(scheduler, 2, steps: 8), Submit(scheduler, 3, steps: 8), Submit(scheduler, 4, steps: 8) };
        Engine.Release();
        await WhenAll([running, .. late]);

        Assert.NotNull(choice);
        Assert.Equal(2, choice.BatchSize);
        Assert.Equal(2, scheduler.MaxBatchSize);
        Assert.Equal([Ms(10), Ms(12), Ms(24)], choice.Timings.Select(t => t.Step));
        var calibration = Engine.BatchSizes.Take(calibrationSteps).ToList();
        const int perSize = BatchSizePicker.WarmSteps + BatchSizePicker.TimedSteps;
        Assert.Equal(Enumerable.Repeat(1, perSize).Concat(Enumerable.Repeat(2, perSize)).Concat(Enumerable.Repeat(4, perSize)), calibration);
        Assert.Equal(1, releasedBeforeStart); // the memory the calibration grew is given back before serving
        var served = Engine.BatchSizes.Skip(calibrationSteps).ToList();
        Assert.Equal(2, served.Max()); // four requests waiting, never more than the picked two in one call
        Assert.Equal(1 + 2 + 4 + 4, Engine.Prepared); // fresh calibration items per size, then the four requests
    }

    [Fact]
    public void A_size_the_engine_fails_at_ends_the_timing_with_the_smaller_sizes()
    {
        Engine.FailStepSeed = 3; // calibration items are seeded 0, 1, …: only the batch of 4 holds seed 3
        var failures = new List<int>();

        var timings = BatchSizePicker.Measure(Engine, [1, 2, 4], Clock, (size, _) => failures.Add(size), Ct);

        Assert.Equal([1, 2], timings.Select(t => t.BatchSize));
        Assert.Equal([4], failures);
    }

    [Fact]
    public void A_failure_at_the_first_size_is_thrown()
    {
        Engine.FailStepSeed = 0;

        Assert.Throws<InvalidOperationException>(() => BatchSizePicker.Measure(Engine, [1, 2], Clock, (_, _) => { }, Ct));
    }

    [Fact]
    public async Task The_batch_size_cannot_be_picked_once_the_worker_runs()
    {
        var scheduler = Start(new BatchingOptions());

        Assert.Throws<InvalidOperationException>(() => scheduler.PickBatchSize(TimeSpan.FromSeconds(1), 32, 0.03, Ct));
        await scheduler.DrainAsync(Ct).WaitAsync(Bound, Ct);
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    private static StepTiming[] Timings(params (int Size, double Ms)[] steps) => steps.Select(s => new StepTiming(s.Size, Ms(s.Ms))).ToArray();
}
