using F5Tts.Inference.Batching;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging.Abstractions;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// A scheduler on the fake engine (batch limit 4) and the fake clock, for the worker-loop tests: the clock moves only
/// when a test moves it, and the engine can hold the worker inside a chosen step.
/// </summary>
public abstract class FakeSchedulerTest : IDisposable
{
    // Only keeps a broken worker from hanging the run; every wait ends as soon as the worker does its part.
    private protected static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private readonly TestMeters _meters = new();
    private readonly F5TtsMetrics _metrics;
    private BatchScheduler? _scheduler;

    protected FakeSchedulerTest() => _metrics = new F5TtsMetrics(_meters);

    private protected FakeEngine Engine { get; } = new(maxBatchSize: 4);

    private protected WaitingClock Clock { get; } = new();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _scheduler?.Dispose();
            Engine.Dispose();
            Clock.Dispose();
            _metrics.Dispose();
            _meters.Dispose();
        }
    }

    /// <summary>Creates the scheduler on the fake engine and clock; <paramref name="beforeStart"/> runs before it starts.</summary>
    private protected BatchScheduler Start(BatchingOptions options, Action<BatchScheduler>? beforeStart = null)
    {
        _scheduler = new BatchScheduler(Engine, options, _metrics, NullLogger.Instance, "test", Clock);
        beforeStart?.Invoke(_scheduler);
        _scheduler.Start();
        return _scheduler;
    }

    /// <summary>
    /// Starts the scheduler with one running request (seed 1) and returns once the worker is held inside RunStep call
    /// <paramref name="holdStep"/>, so whatever the test submits next arrives at a known step boundary.
    /// </summary>
    private protected async Task<(BatchScheduler Scheduler, Task<SynthesisOutcome> Running)> StartHeldAsync(
        BatchingOptions options, long holdStep, int runningSteps, Action<BatchScheduler>? beforeStart = null)
    {
        Engine.HoldStep = holdStep;
        var scheduler = Start(options, beforeStart);
        var running = Submit(scheduler, 1, runningSteps);
        await Engine.Held.Task.WaitAsync(Bound, Ct);
        return (scheduler, running);
    }

    /// <summary>Admits and submits one single-chunk request whose audio is its seed.</summary>
    private protected static Task<SynthesisOutcome> Submit(BatchScheduler scheduler, long seed, int steps = 4, bool firstOfStream = false)
    {
        using var admission = scheduler.Admit(1, Ct);
        return admission.Submit(FakeEngine.Input(seed, steps), firstOfStream);
    }

    private protected static Task<SynthesisOutcome[]> WhenAll(params Task<SynthesisOutcome>[] jobs) =>
        Task.WhenAll(jobs).WaitAsync(Bound, Ct);
}
