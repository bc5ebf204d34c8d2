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
    /// How long an idle worker waits after the first request for others to arrive before starting a batch: until the
    /// fill target is pending (see <see cref="FillTargetWindowMilliseconds"/>) or this time has passed. Later requests
    /// can still join the running batch at any step boundary, but a batch that starts as one cohort finishes as one
    /// (16 concurrent clients on an H200: 137.6 s/s at 3 ms, 153.8 s/s at 15 ms; docs/benchmarks.md).
    /// </summary>
    [Range(0, 1_000)]
    public int MaxWaitMilliseconds { get; set; } = 20;

    /// <summary>
    /// The fill target of an idle worker is the largest batch of its last busy period when that ended at most this
    /// long ago (so a lone client never waits, and the clients of a full batch start again together); otherwise, and
    /// when 0, it is <see cref="MaxBatchSize"/>.
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
    /// fill wait of at most <see cref="MaxWaitMilliseconds"/> for the clients it served). Concurrent clients that send
    /// their next request when the last one returns then stay one cohort: joining late splits them into phase-shifted
    /// groups that never meet again, and each Transformer call runs half full (16 clients on an H100: 149–157 s/s split,
    /// 168 merged; docs/serving.md "Cohorts"). A held request waits at most this fraction of the running items' steps.
    /// 0 admits at every step boundary.
    /// </summary>
    [Range(0.0, 1.0)]
    public double CohortHoldFraction { get; set; } = 0.5;

    /// <summary>
    /// Runs Preprocess for newly admitted requests on a second thread while the running batch keeps stepping, where the
    /// engine allows it (<see cref="F5Tts.Inference.Engine.ITtsEngine.ConcurrentPrepare"/>); false prepares them on the
    /// worker thread between steps, leaving the Transformer idle meanwhile. Off by default: measured on an H200 it lowered
    /// the throughput at 16 concurrent clients (Preprocess competes with the steps for the GPU and the host, and
    /// prepared requests join one by one; docs/serving.md "Preprocess overlap").
    /// </summary>
    public bool OverlapPreprocess { get; set; }

    /// <summary>Requests waiting for a batch slot beyond which new requests get 429.</summary>
    [Range(1, 100_000)]
    public int QueueCapacity { get; set; } = 256;

    /// <summary>Per-request deadline from admission to the last audio sample; past it the request fails with 504.</summary>
    [Range(0.01, 3_600.0)]
    public double RequestTimeoutSeconds { get; set; } = 120;

    /// <summary>Seconds suggested to clients in <c>Retry-After</c> when the queue is full.</summary>
    [Range(1, 3_600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
