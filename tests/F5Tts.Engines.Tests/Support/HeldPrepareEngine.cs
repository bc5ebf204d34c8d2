using F5Tts.Inference.Engine;

namespace F5Tts.Engines.Tests.Support;

/// <summary>
/// A real engine whose Prepare can be held at its start for chosen inputs, so that a test decides when a request's
/// Preprocess finishes and can watch what the scheduler does meanwhile (steps, admission, cancellation, drain) without
/// timing. Everything else — and Prepare itself once released — is the wrapped engine's.
/// </summary>
internal sealed class HeldPrepareEngine : ITtsEngine
{
    private readonly ITtsEngine _inner;
    private readonly Func<EngineInput, bool> _hold;
    private readonly ManualResetEventSlim _release = new(false);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _workerThread;
    private int _preparesOffWorker;

    /// <param name="inner">The engine doing the work (not owned).</param>
    /// <param name="hold">Inputs whose Prepare waits for <see cref="Release"/>.</param>
    public HeldPrepareEngine(ITtsEngine inner, Func<EngineInput, bool> hold)
    {
        _inner = inner;
        _hold = hold;
    }

    /// <summary>Completes when a held Prepare has started (and is waiting).</summary>
    public Task Entered => _entered.Task;

    /// <summary>Prepare calls made on another thread than the one running the steps.</summary>
    public int PreparesOffWorker => Volatile.Read(ref _preparesOffWorker);

    public EngineDescription Description => _inner.Description;

    public bool ConcurrentPrepare => _inner.ConcurrentPrepare;

    /// <summary>Lets every held Prepare, present and future, go on.</summary>
    public void Release() => _release.Set();

    public void WarmUp(CancellationToken cancellationToken) => _inner.WarmUp(cancellationToken);

    public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
    {
        var worker = Volatile.Read(ref _workerThread);
        if (worker != 0 && worker != Environment.CurrentManagedThreadId)
        {
            Interlocked.Increment(ref _preparesOffWorker);
        }

        if (_hold(input))
        {
            _entered.TrySetResult();
            _release.Wait(cancellationToken); // a forced stop of the scheduler interrupts the hold
        }

        return _inner.Prepare(input, cancellationToken);
    }

    public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _workerThread, Environment.CurrentManagedThreadId);
        _inner.RunStep(items, cancellationToken);
    }

    public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) =>
        _inner.Decode(items, cancellationToken);

    public void Dispose() => _release.Dispose();
}
