using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Workers;

/// <summary>
/// The device workers behind the one admission point of the service. A request goes, whole, to the serving worker with
/// the least queued audio-seconds (ties: the lower device); a worker whose queue is full passes it on to the next, and
/// when every queue is full the request gets 429 with a <c>Retry-After</c> from the same prediction the
/// <c>f5tts_predicted_wait_seconds</c> metric shows (docs/serving.md "Several devices").
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly IReadOnlyList<DeviceWorker> _workers;
    private readonly BatchingOptions _batching;
    private readonly WorkersOptions _options;

    public WorkerPool(IReadOnlyList<DeviceWorker> workers, BatchingOptions batching, WorkersOptions options)
    {
        if (workers.Count == 0)
        {
            throw new ArgumentException("A pool needs at least one worker.", nameof(workers));
        }

        _workers = workers;
        _batching = batching;
        _options = options;
    }

    public IReadOnlyList<DeviceWorker> Workers => _workers;

    /// <summary>Workers that take requests now.</summary>
    public int ServingCount => _workers.Count(w => w.IsServing);

    /// <summary>Requests waiting for a batch, over all workers.</summary>
    public int WaitingCount => _workers.Sum(w => w.Scheduler.WaitingCount);

    /// <summary>Requests in a batch, over all workers.</summary>
    public int RunningCount => _workers.Sum(w => w.Scheduler.RunningCount);

    /// <summary>Transformer calls made so far, over all workers.</summary>
    public long StepCount => _workers.Sum(w => w.Scheduler.StepCount);

    /// <summary>
    /// The wait a request admitted now would see before its work starts: the least predicted wait of the serving
    /// workers (where the router would put it); null when none serves.
    /// </summary>
    public double? PredictedWaitSeconds
    {
        get
        {
            var serving = _workers.Where(w => w.IsServing).Select(w => w.PredictedWaitSeconds).ToList();
            return serving.Count == 0 ? null : serving.Min();
        }
    }

    /// <summary>
    /// Admits a request of <paramref name="chunks"/> chunks and <paramref name="totalFrames"/> frames to one worker:
    /// 413 when it could never be queued, 429 (with the predicted wait as Retry-After) when every serving worker's
    /// queue is full, 503 when no worker serves.
    /// </summary>
    public PooledAdmission Admit(int chunks, long totalFrames, CancellationToken cancellationToken)
    {
        var candidates = _workers.Where(w => w.IsServing).OrderBy(w => w.QueuedAudioSeconds).ToList();
        if (candidates.Count == 0)
        {
            throw TtsException.NotReady("No device worker is in service.", TimeSpan.FromSeconds(_batching.RetryAfterSeconds));
        }

        TtsException? refused = null;
        foreach (var worker in candidates)
        {
            try
            {
                return new PooledAdmission(worker, worker.Scheduler.Admit(chunks, cancellationToken), totalFrames);
            }
            catch (TtsException ex) when (ex.Kind is TtsErrorKind.QueueFull or TtsErrorKind.NotReady)
            {
                // Full, or began draining since the candidates were listed: try the next one.
                refused = refused?.Kind == TtsErrorKind.QueueFull ? refused : ex;
            }
        }

        throw refused!.Kind == TtsErrorKind.QueueFull ? TtsException.QueueFull(RetryAfter()) : refused;
    }

    /// <summary><c>Retry-After</c> for a full queue: the predicted wait, rounded up, within [RetryAfterSeconds, MaxRetryAfterSeconds].</summary>
    public TimeSpan RetryAfter()
    {
        double wait = Math.Ceiling(PredictedWaitSeconds ?? 0);
        return TimeSpan.FromSeconds(Math.Clamp(wait, _batching.RetryAfterSeconds, Math.Max(_batching.RetryAfterSeconds, _options.MaxRetryAfterSeconds)));
    }

    public IReadOnlyList<WorkerSnapshot> Snapshot() => _workers.Select(w => w.Snapshot()).ToList();

    /// <summary>Stops admitting new requests on every worker (what <see cref="DrainAsync"/> begins with).</summary>
    public void StopAccepting()
    {
        foreach (var worker in _workers)
        {
            worker.Scheduler.StopAccepting();
        }
    }

    /// <summary>
    /// Takes out every worker with an engine call in progress for longer than <paramref name="limit"/>
    /// (<c>F5Tts:Workers:StallSeconds</c>): its engine refuses further calls and its batcher is abandoned
    /// (<see cref="Batching.BatchScheduler.Abandon"/>). Returns the workers taken out by this check.
    /// </summary>
    public IReadOnlyList<DeviceWorker> TakeOutStalled(TimeSpan limit, Func<DeviceWorker, Exception> error)
    {
        var stalled = _workers.Where(w => w.Engine.CheckStall(limit)).ToList();
        stalled.ForEach(w => w.Scheduler.Abandon(error(w)));
        return stalled;
    }

    /// <summary>Names of the workers taken out because a call never returned (their threads are stuck).</summary>
    public IReadOnlyList<string> StalledWorkers => _workers.Where(w => w.Engine.IsStalled).Select(w => w.Name).ToList();

    /// <summary>Drains every worker's batcher at once (<see cref="Batching.BatchScheduler.DrainAsync"/>).</summary>
    public Task DrainAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_workers.Select(w => w.Scheduler.DrainAsync(cancellationToken)));

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
    }
}
