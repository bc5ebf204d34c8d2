using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>The cohort and fill policy as pure functions: fill target, holding newcomers, and the fit/starvation rule.</summary>
public sealed class BatchPolicyTests
{
    private static readonly BatchLimits Limits = new(MaxBatchSize: 4, MaxBatchFrames: 4_000, MaxLengthRatio: 1.5, MaxBucketWait: TimeSpan.FromMilliseconds(500));

    [Theory]
    [InlineData(0, 0, 16, 1000, 16, false)]      // cold: nothing served yet → the batch limit (MaxWait)
    [InlineData(1, 5, 16, 1000, 1, true)]        // a lone client: its next request never waits
    [InlineData(11, 5, 16, 1000, 11, true)]      // the clients of the batch that just finished (CohortWait)
    [InlineData(40, 5, 16, 1000, 16, true)]      // never above the batch limit
    [InlineData(11, 1500, 16, 1000, 16, false)]  // that batch ended too long ago → the batch limit
    [InlineData(11, 5, 16, 0, 16, false)]        // window 0: always the batch limit
    public void The_fill_target_is_the_last_busy_periods_peak_while_recent(int lastPeak, int idleMs, int maxBatch, int windowMs, int expected, bool returning) =>
        Assert.Equal((expected, returning), BatchPolicy.FillTarget(lastPeak, TimeSpan.FromMilliseconds(idleMs), maxBatch, windowMs));

    [Theory]
    [InlineData(new[] { 60, 62 }, 64, 0.5, true)]   // both in their last half
    [InlineData(new[] { 60, 10 }, 64, 0.5, false)]  // one just started: join now
    [InlineData(new[] { 32 }, 64, 0.5, true)]       // exactly half left
    [InlineData(new[] { 31 }, 64, 0.5, false)]
    [InlineData(new[] { 63 }, 64, 0.0, false)]      // 0: never hold
    [InlineData(new int[0], 64, 0.5, false)]        // nothing running
    public void Newcomers_are_held_only_while_every_running_item_is_in_its_last_fraction(int[] stepsDone, int total, double fraction, bool expected) =>
        Assert.Equal(expected, BatchPolicy.HoldsNewcomers(stepsDone.Select(d => (IEngineItem)new Progress(d, total)).ToList(), fraction));

    [Fact]
    public void An_empty_batch_takes_waiting_requests_in_arrival_order_up_to_the_batch_limit() =>
        Assert.Equal([0, 1, 2, 3], BatchPolicy.SelectAdmissions([], Pending(200, 210, 220, 230, 240), Limits));

    [Fact]
    public void A_running_batch_takes_only_as_many_as_it_has_room_for() =>
        Assert.Equal([0], BatchPolicy.SelectAdmissions([200, 200, 200], Pending(200, 200), Limits));

    [Fact]
    public void The_first_request_of_an_empty_batch_always_fits_however_long() =>
        Assert.Equal([0], BatchPolicy.SelectAdmissions([], Pending(9_000, 200), Limits));

    [Fact]
    public void A_much_longer_request_is_passed_over_and_a_younger_one_of_the_right_length_goes_first()
    {
        // 400 / 200 > 1.5: the longer one waits for a batch of its own length; 250 fits.
        Assert.Equal([1], BatchPolicy.SelectAdmissions([200], Pending(400, 250), Limits));
    }

    [Fact]
    public void Padded_frames_stay_within_the_frame_budget()
    {
        // 3 × 1_300 = 3_900 fits; a fourth of 1_300 would make 5_200 > 4_000.
        Assert.Equal([0], BatchPolicy.SelectAdmissions([1_200, 1_250], Pending(1_300, 1_300), Limits));
    }

    [Fact]
    public void A_request_that_waited_past_the_bucket_wait_is_not_overtaken()
    {
        var starved = new Candidate(400, TimeSpan.FromMilliseconds(501));
        var young = new Candidate(250, TimeSpan.Zero);
        Assert.Empty(BatchPolicy.SelectAdmissions([200], [starved, young], Limits));
        Assert.Equal([1], BatchPolicy.SelectAdmissions([200], [starved with { Waited = TimeSpan.FromMilliseconds(500) }, young], Limits));
        Assert.Equal([0], BatchPolicy.SelectAdmissions([], [starved, young], Limits)); // once the batch drained it goes first
    }

    [Fact]
    public void Limits_take_the_engines_batch_size_and_one_without_batching()
    {
        var options = new F5Tts.Inference.Options.BatchingOptions { MaxBatchSize = 16, MaxBucketWaitMilliseconds = 250 };
        var engine = new FakeEngine(maxBatchSize: 8).Description;
        Assert.Equal(new BatchLimits(8, options.MaxBatchFrames, options.MaxLengthRatio, TimeSpan.FromMilliseconds(250)), BatchLimits.From(options, engine));
        Assert.Equal(1, BatchLimits.From(options, engine with { SupportsBatching = false }).MaxBatchSize);
    }

    private static List<Candidate> Pending(params int[] frames) => [.. frames.Select(f => new Candidate(f, TimeSpan.Zero))];

    private sealed record Progress(int StepsDone, int StepsTotal) : IEngineItem
    {
        public int TotalFrames => 100;

        public int ReferenceFrames => 10;

        public void Dispose()
        {
        }
    }
}
