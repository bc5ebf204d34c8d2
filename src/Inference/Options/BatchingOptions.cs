using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Admission queue and batcher settings (section <c>F5Tts:Batching</c>).</summary>
public sealed class BatchingOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "F5Tts:Batching";

    /// <summary>Most items in one Transformer call (capped further by the engine's own limit).</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// Most padded frames in one Transformer call (batch size × longest item). Bounds GPU memory: attention is
    /// O(N²) per item, so a few long items must not share a call with many short ones.
    /// </summary>
    [Range(256, 1_000_000)]
    public int MaxBatchFrames { get; set; } = 32_768;

    /// <summary>
    /// How long an idle worker that has not been busy within <see cref="FillTargetWindowMilliseconds"/> (a cold or
    /// long-idle server) waits after the first request for others, until <see cref="MaxBatchSize"/> are pending. Kept
    /// short: a lone request on an idle server pays it. Later requests still join the running batch at step boundaries.
    /// </summary>
    [Range(0, 1_000)]
    public int MaxWaitMilliseconds { get; set; } = 3;

    /// <summary>
    /// How long an idle worker that was busy within <see cref="FillTargetWindowMilliseconds"/> waits for the clients of
    /// its last batch to come back, until as many requests as that batch's peak are pending (the <i>fill target</i>;
    /// also the wait after requests were held for the next cohort, <see cref="CohortHoldFraction"/>). Clients that
    /// were served together return within tens of milliseconds of each other (HTTP round trip, their own processing);
    /// a batch that starts as one cohort finishes as one, while stragglers form a second cohort a step or more behind
    /// that makes every following cycle run part-empty calls (16 clients on an H100: 149–157 s/s waiting 3 ms,
    /// 166–169 s/s waiting 10–40 ms; docs/serving.md "Starting a batch"). A lone client (peak 1) never waits.
    /// </summary>
    [Range(0, 1_000)]
    public int CohortWaitMilliseconds { get; set; } = 40;

    /// <summary>
    /// The fill target of an idle worker is the largest batch of its last busy period when that ended at most this
    /// long ago (so a lone client never waits, and the clients of a full batch start again together; the wait is then
    /// at most <see cref="CohortWaitMilliseconds"/>); otherwise, and when 0, it is <see cref="MaxBatchSize"/> (at most
    /// <see cref="MaxWaitMilliseconds"/>).
    /// </summary>
    [Range(0, 600_000)]
    public int FillTargetWindowMilliseconds { get; set; } = 1_000;

    /// <summary>
    /// Length bucketing: an item joins a batch only while longest/shortest total frames stays within this ratio,
    /// which bounds padding waste (padded frames cost compute but produce nothing).
    /// </summary>
    [Range(1.0, 100.0)]
    public double MaxLengthRatio { get; set; } = 1.5;

    /// <summary>
    /// A waiting request older than this is admitted next regardless of bucketing (no starvation of odd lengths).
    /// </summary>
    [Range(0, 600_000)]
    public int MaxBucketWaitMilliseconds { get; set; } = 500;

    /// <summary>
    /// How many Preprocess calls of the requests admitted at one step boundary run at once (on the worker and thread-pool
    /// threads, the worker waiting for all), where the engine allows concurrent Prepare calls; 1 runs them one by one.
    /// Preprocess is bound by host-side launch work (≈ 5 ms for ≈ 2 ms of GPU kernels per request), so a cohort of 16
    /// requests starts sooner when several threads issue their launches (docs/serving.md "Starting a batch").
    /// </summary>
    [Range(1, 64)]
    public int PrepareParallelism { get; set; } = 4;

    /// <summary>
    /// Cohort merging: while every running item has at most this fraction of its steps left, waiting requests are held
    /// back instead of joining for the last steps; when the running batch has finished they start together (after a
    /// fill wait of at most <see cref="CohortWaitMilliseconds"/> for the clients it served). Concurrent clients that
    /// send their next request when the last one returns then stay one cohort instead of drifting into phase-shifted
    /// groups whose calls run part-empty (docs/serving.md "Starting a batch"). A held request waits at most this
    /// fraction of the running items' steps plus the fill wait. 0 admits at every step boundary.
    /// </summary>
    [Range(0.0, 1.0)]
    public double CohortHoldFraction { get; set; } = 0.5;

    /// <summary>
    /// The first-chunk lane: while a batch runs, the first chunks of streams do not join it but run as a batch of their
    /// own, to the end, between two of its steps (the running batch pauses; the engine keeps both packed, so switching
    /// costs nothing). A first chunk joining a full batch would ride its long steps (≈ 24 ms each at batch 16 on an
    /// H200) before its listener hears anything; in the lane it rides short ones. The running batch waits at most one
    /// lane run in a row (the lane's steps) before it takes a step. false: first chunks join the running batch at the
    /// next step boundary (docs/serving.md "First chunk of a stream").
    /// </summary>
    public bool FirstChunkLane { get; set; } = true;

    /// <summary>
    /// When above 0, each worker picks its batch size at start instead of using <see cref="MaxBatchSize"/> as it is: the
    /// step is timed at batch 1, 2, 4, … up to MaxBatchSize, and the worker keeps to the smallest size whose throughput
    /// is within <see cref="BatchSizeTolerance"/> of the best among the sizes at which a request of
    /// F5Tts:Synthesis:DefaultNfeSteps steps in a full batch spends at most this many milliseconds in the Transformer
    /// (docs/serving.md "Picking the batch size"). 0: no picking (the default).
    /// </summary>
    [Range(0, 600_000)]
    public int LatencyBudgetMilliseconds { get; set; }

    /// <summary>
    /// With <see cref="LatencyBudgetMilliseconds"/>: the smallest batch size whose throughput is at least (1 − this) of
    /// the best within the budget is kept (0.03: within 3 %), since a larger batch costs latency and memory.
    /// </summary>
    [Range(0.0, 1.0)]
    public double BatchSizeTolerance { get; set; } = 0.03;

    /// <summary>
    /// Queue slots: chunks waiting for a batch, counting every chunk of an admitted request until it starts (a request
    /// takes a slot per chunk when it is admitted). A request that finds too few free slots gets 429; one with more
    /// chunks than this could never be queued and gets 413 at once.
    /// </summary>
    [Range(1, 100_000)]
    public int QueueCapacity { get; set; } = 256;

    /// <summary>Per-request deadline from admission to the last audio sample; past it the request fails with 504.</summary>
    [Range(0.01, 3_600.0)]
    public double RequestTimeoutSeconds { get; set; } = 120;

    /// <summary>Seconds suggested to clients in <c>Retry-After</c> when the queue is full.</summary>
    [Range(1, 3_600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
