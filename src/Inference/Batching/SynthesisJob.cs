using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Batching;

/// <summary>
/// One chunk of a request, waiting for or riding in a batch. It completes itself: <see cref="Succeed"/>,
/// <see cref="Fail"/> and <see cref="Cancel"/> each finish it once, dispose its engine item and update the
/// <see cref="JobLedger"/>, so no caller keeps counts. A waiting job completes as cancelled from any thread the
/// moment its token fires (its queue slot is free at once); a running one is completed only by the worker, which owns
/// its item.
/// </summary>
internal sealed class SynthesisJob
{
    private const int Waiting = 0;
    private const int Running = 1;
    private const int Finished = 2;

    private readonly JobLedger _ledger;
    private readonly TaskCompletionSource<SynthesisOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public SynthesisJob(EngineInput input, JobLedger ledger, CancellationToken cancellationToken)
    {
        Input = input;
        CancellationToken = cancellationToken;
        _ledger = ledger;
        EnqueuedTimestamp = ledger.Time.GetTimestamp();
    }

    public EngineInput Input { get; }

    /// <summary>The first chunk of a streamed response: admitted at the next step, never held for a cohort.</summary>
    public bool FirstOfStream { get; init; }

    /// <summary>Client abort linked with the request deadline.</summary>
    public CancellationToken CancellationToken { get; }

    public long EnqueuedTimestamp { get; }

    public long StartedTimestamp { get; private set; }

    /// <summary>Scheduler step counter when the job joined a batch (for continuous-batching diagnostics).</summary>
    public long AdmittedAtStep { get; private set; }

    /// <summary>Largest batch this job rode in. Worker thread only.</summary>
    public int MaxBatchSize { get; set; }

    /// <summary>The engine's state for this job once prepared; disposed when the job finishes. Worker thread only.</summary>
    public IEngineItem? Item { get; private set; }

    public Task<SynthesisOutcome> Task => _completion.Task;

    public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>From now on, cancellation completes the job at once while it waits (freeing its slot).</summary>
    public void WatchCancellation()
    {
        if (!CancellationToken.CanBeCanceled)
        {
            return;
        }

        var registration = CancellationToken.UnsafeRegister(static state => ((SynthesisJob)state!).CancelWaiting(), this);
        _ = _completion.Task.ContinueWith(
            static (_, r) => ((CancellationTokenRegistration)r!).Unregister(),
            registration,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Moves the job from waiting to running (worker); false when it already finished (e.g. cancelled).</summary>
    public bool TryStart(long step)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Waiting) != Waiting)
        {
            return false;
        }

        StartedTimestamp = _ledger.Time.GetTimestamp();
        AdmittedAtStep = step;
        _ledger.Started(_ledger.Time.GetElapsedTime(EnqueuedTimestamp, StartedTimestamp));
        return true;
    }

    /// <summary>Hands the job its prepared engine item (worker).</summary>
    public void Attach(IEngineItem item) => Item = item;

    /// <summary>Completes the job with its decoded audio (worker).</summary>
    public void Succeed(float[] audio, long completedAtStep, long decodedTimestamp)
    {
        var outcome = new SynthesisOutcome(
            audio,
            _ledger.Time.GetElapsedTime(EnqueuedTimestamp, StartedTimestamp),
            _ledger.Time.GetElapsedTime(StartedTimestamp, decodedTimestamp),
            MaxBatchSize,
            AdmittedAtStep,
            completedAtStep);
        if (TryFinish(onlyWaiting: false))
        {
            _completion.TrySetResult(outcome);
        }
    }

    /// <summary>Fails the job (a waiting one from any thread, a running one on the worker).</summary>
    public void Fail(Exception error)
    {
        if (TryFinish(onlyWaiting: false))
        {
            _completion.TrySetException(error);
        }
    }

    /// <summary>Completes the job as cancelled by its token (worker, at a step boundary).</summary>
    public void Cancel()
    {
        if (TryFinish(onlyWaiting: false))
        {
            _completion.TrySetCanceled(CancellationToken);
        }
    }

    private void CancelWaiting()
    {
        if (TryFinish(onlyWaiting: true))
        {
            _completion.TrySetCanceled(CancellationToken);
        }
    }

    /// <summary>Finishes the job exactly once: frees its item and updates the ledger for the state it left.</summary>
    private bool TryFinish(bool onlyWaiting)
    {
        int before;
        do
        {
            before = Volatile.Read(ref _state);
            if (before == Finished || (onlyWaiting && before != Waiting))
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _state, Finished, before) != before);

        if (before == Running)
        {
            Item?.Dispose();
            Item = null;
            _ledger.LeftRunning();
        }
        else
        {
            _ledger.LeftWaiting();
        }

        return true;
    }
}

/// <summary>What a finished job produced, with the timings the API reports in headers and metrics.</summary>
/// <param name="Audio">24 kHz mono float PCM of the generated speech.</param>
/// <param name="QueueWait">From submission until the job joined a batch.</param>
/// <param name="Inference">From joining a batch until its audio was decoded.</param>
/// <param name="MaxBatchSize">Largest Transformer batch the job rode in.</param>
/// <param name="AdmittedAtStep">Scheduler step counter when the job joined.</param>
/// <param name="CompletedAtStep">Scheduler step counter when its last step ran.</param>
public sealed record SynthesisOutcome(
    float[] Audio,
    TimeSpan QueueWait,
    TimeSpan Inference,
    int MaxBatchSize,
    long AdmittedAtStep,
    long CompletedAtStep);
