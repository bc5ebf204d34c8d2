using System.Diagnostics;
using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Batching;

/// <summary>One utterance waiting for, or riding in, a batch. Owned by the scheduler once submitted.</summary>
internal sealed class SynthesisJob
{
    private int _state; // 0 = waiting, 1 = running, 2 = finished

    public SynthesisJob(EngineInput input, CancellationToken cancellationToken)
    {
        Input = input;
        CancellationToken = cancellationToken;
        EnqueuedTimestamp = Stopwatch.GetTimestamp();
    }

    public EngineInput Input { get; }

    /// <summary>Client abort linked with the request deadline.</summary>
    public CancellationToken CancellationToken { get; }

    public long EnqueuedTimestamp { get; }

    public long StartedTimestamp { get; private set; }

    /// <summary>Scheduler step counter when the job joined a batch (for continuous-batching diagnostics).</summary>
    public long AdmittedAtStep { get; private set; }

    /// <summary>Largest batch this job rode in.</summary>
    public int MaxBatchSize { get; set; }

    public TaskCompletionSource<SynthesisOutcome> Completion { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsWaiting => Volatile.Read(ref _state) == 0;

    /// <summary>Moves the job from waiting to running; false when it already finished (e.g. cancelled).</summary>
    public bool TryStart(long step)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            return false;
        }

        StartedTimestamp = Stopwatch.GetTimestamp();
        AdmittedAtStep = step;
        return true;
    }

    /// <summary>
    /// Records the step at which a job prepared on the preparation thread joined the batch (it was started, and its
    /// queue wait ended, when it was admitted for preparation). Worker thread only.
    /// </summary>
    public void MarkJoined(long step) => AdmittedAtStep = step;

    /// <summary>Finishes a job that has not started yet (cancelled in the queue); false if it started or finished.</summary>
    public bool TryCancelWaiting() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

    /// <summary>Marks the job finished exactly once; the caller then completes <see cref="Completion"/>.</summary>
    /// <returns>The state before finishing (0 waiting, 1 running), or -1 if it had already finished.</returns>
    public int TryFinish()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == 2)
            {
                return -1;
            }

            if (Interlocked.CompareExchange(ref _state, 2, state) == state)
            {
                return state;
            }
        }
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
