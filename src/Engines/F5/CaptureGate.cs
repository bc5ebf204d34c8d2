using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.F5;

/// <summary>
/// Keeps Preprocess runs on other threads (the engine allows <c>Prepare</c> beside <c>RunStep</c>; the batcher itself
/// never overlaps them) away from Transformer and Decode runs that may capture a CUDA graph. ONNX Runtime captures a <c>gpu_graph_id</c> with <c>cudaStreamBeginCapture</c> in
/// global capture mode after its first regular run(s); while a capture is open, a CUDA call such as <c>cudaMalloc</c>
/// or a synchronous <c>cudaMemcpy</c> from any other thread — which a Preprocess run makes — invalidates the capture.
/// Graph replays, uncaptured runs and Decode may overlap Preprocess freely (docs/engine.md "Concurrent Prepare and the capture gate").
/// Preprocess holds the shared side, a run that may capture the exclusive side; writers are preferred, so a waiting
/// capture is not starved by a stream of Preprocess runs.
/// </summary>
internal sealed class CaptureGate : IDisposable
{
    /// <summary>
    /// Runs of one graph id treated as capturing: ONNX Runtime's CUDA provider (1.31; 1.32 served the measured
    /// service runs with this gate) runs an id normally twice (its arena settles) and captures it in the third run
    /// (docs/engine.md); a fourth is gated too, as margin should a version need one regular run more. Four gated runs
    /// per id, each waiting at most one Preprocess, cost nothing measurable.
    /// </summary>
    public const int RunsUntilReplay = 4;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private long _exclusiveRuns;

    /// <summary>Transformer runs that held the exclusive side so far (for tests and logs).</summary>
    public long ExclusiveRuns => Interlocked.Read(ref _exclusiveRuns);

    /// <summary>
    /// Whether the next run of a graph id that has run <paramref name="runsSoFar"/> times may capture: only in
    /// graph-capturing mode, only for a run carrying its own graph id, and only during its first runs.
    /// </summary>
    public static bool MayCapture(bool capturesGraphs, bool hasGraphId, int runsSoFar) =>
        capturesGraphs && hasGraphId && runsSoFar < RunsUntilReplay;

    /// <summary>
    /// Runs <paramref name="graph"/>'s binding on <paramref name="session"/> from a thread that holds the shared side (every
    /// engine call that touches CUDA holds it). A run that may capture (<see cref="MayCapture"/>) trades the shared side
    /// for the exclusive one, so that no other thread of the process touches CUDA while it captures, and counts towards
    /// <see cref="RunsUntilReplay"/>; any other run just runs. Allocates nothing.
    /// </summary>
    public void Run(InferenceSession session, StaticStepGraph graph, bool capturesGraphs)
    {
        if (!MayCapture(capturesGraphs, graph.HasGraphId, graph.Runs))
        {
            session.RunWithBinding(graph.RunOptions, graph.Binding);
            return;
        }

        ExitShared();
        EnterExclusive();
        try
        {
            session.RunWithBinding(graph.RunOptions, graph.Binding);
        }
        finally
        {
            ExitExclusive();
            EnterShared();
        }

        graph.Runs++;
    }

    /// <summary>Enters the shared (Preprocess) side; pair with <see cref="ExitShared"/>.</summary>
    public void EnterShared() => _lock.EnterReadLock();

    /// <summary>Tries the shared side without waiting longer than <paramref name="timeout"/> (tests).</summary>
    public bool TryEnterSharedForTest(TimeSpan timeout) => _lock.TryEnterReadLock(timeout);

    /// <summary>Leaves the shared side.</summary>
    public void ExitShared() => _lock.ExitReadLock();

    /// <summary>Enters the exclusive (capturing run) side, waiting for Preprocess runs in progress to end.</summary>
    public void EnterExclusive()
    {
        _lock.EnterWriteLock();
        Interlocked.Increment(ref _exclusiveRuns);
    }

    /// <summary>Tries the exclusive side without waiting longer than <paramref name="timeout"/> (tests).</summary>
    public bool TryEnterExclusive(TimeSpan timeout)
    {
        if (!_lock.TryEnterWriteLock(timeout))
        {
            return false;
        }

        Interlocked.Increment(ref _exclusiveRuns);
        return true;
    }

    /// <summary>Leaves the exclusive side.</summary>
    public void ExitExclusive() => _lock.ExitWriteLock();

    public void Dispose() => _lock.Dispose();
}
