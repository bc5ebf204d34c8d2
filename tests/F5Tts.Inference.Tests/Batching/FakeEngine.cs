using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using Microsoft.Extensions.Time.Testing;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// An <see cref="ITtsEngine"/> without a model: an item advances one step per RunStep and decodes to one sample, its
/// seed. It records each call's batch size, can fail chosen inputs, and can hold the worker inside a chosen step
/// (<see cref="HoldStep"/>) until the test releases it, so a test decides what arrives at which step boundary.
/// </summary>
internal sealed class FakeEngine(int maxBatchSize = 16) : ITtsEngine
{
    private readonly Lock _lock = new();
    private readonly List<int> _batchSizes = [];
    private readonly List<long[]> _batches = [];
    private readonly Dictionary<long, TaskCompletionSource> _holds = [];
    private readonly SemaphoreSlim _resume = new(0);
    private readonly SemaphoreSlim _idle = new(0);
    private int _idleReleases;
    private long _steps;
    private int _prepared;

    public EngineDescription Description { get; } = new(
        "fake", "fake/1", "fp32", 24_000, 256, 4_096, maxBatchSize, SupportsBatching: true, null, new Dictionary<string, string>());

    /// <summary>RunStep call (1-based) that waits for <see cref="Release"/> before it returns; 0 for none.</summary>
    public long HoldStep { get; set; }

    /// <summary>Completes when the held step has been entered.</summary>
    public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The seeds of each RunStep call's items, in call order.</summary>
    public IReadOnlyList<long[]> Batches
    {
        get
        {
            lock (_lock)
            {
                return [.. _batches];
            }
        }
    }

    /// <summary>
    /// Holds RunStep call <paramref name="step"/> (1-based) too, like <see cref="HoldStep"/>; the task completes when
    /// that call has been entered, and <see cref="Release"/> lets it return. Set it while the worker is held earlier.
    /// </summary>
    public Task HoldAlso(long step)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _holds.Add(step, held);
        }

        return held.Task;
    }

    /// <summary>Called with each RunStep's batch size before it returns: a test advances its fake clock by the step's cost.</summary>
    public Action<int>? OnStep { get; set; }

    /// <summary>Prepare throws for inputs with this seed.</summary>
    public long? FailPrepareSeed { get; set; }

    /// <summary>RunStep throws when the batch holds an input with this seed.</summary>
    public long? FailStepSeed { get; set; }

    public int Prepared => Volatile.Read(ref _prepared);

    public IReadOnlyList<int> BatchSizes
    {
        get
        {
            lock (_lock)
            {
                return [.. _batchSizes];
            }
        }
    }

    /// <summary>How often the worker called <see cref="ReleaseIdleMemory"/>.</summary>
    public int IdleReleases => Volatile.Read(ref _idleReleases);

    public void Release() => _resume.Release();

    public void ReleaseIdleMemory()
    {
        Interlocked.Increment(ref _idleReleases);
        _idle.Release();
    }

    /// <summary>Waits for one more <see cref="ReleaseIdleMemory"/> call than was awaited before (bounded).</summary>
    public Task WaitIdleReleaseAsync(CancellationToken cancellationToken) =>
        _idle.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ContinueWith(
            t => Assert.True(t.Result, "the worker never released idle memory"), TaskScheduler.Default);

    public void WarmUp(CancellationToken cancellationToken)
    {
    }

    public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _prepared);
        return input.Sampler.Seed == FailPrepareSeed ? throw new ArgumentException("refused by the fake engine") : new Item(input);
    }

    public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _batchSizes.Add(items.Count);
            _batches.Add(items.Select(i => ((Item)i).Seed).ToArray());
        }

        var call = Interlocked.Increment(ref _steps);
        TaskCompletionSource? also;
        lock (_lock)
        {
            _holds.Remove(call, out also);
        }

        if (call == HoldStep || also is not null)
        {
            (also ?? Held).TrySetResult();
            _resume.Wait(cancellationToken);
        }

        if (items.Any(i => ((Item)i).Seed == FailStepSeed))
        {
            throw new InvalidOperationException("device fault in the fake engine");
        }

        foreach (Item item in items)
        {
            item.StepsDone++;
        }

        OnStep?.Invoke(items.Count);
    }

    public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) =>
        items.Select(i => new float[] { ((Item)i).Seed }).ToList();

    public void Dispose()
    {
        _resume.Dispose();
        _idle.Dispose();
    }

    /// <summary>A request of <paramref name="steps"/> steps and <paramref name="frames"/> frames; its audio is its seed.</summary>
    public static EngineInput Input(long seed, int steps = 4, int frames = 200) =>
        new([0f], [1, 2, 3], frames, new SamplerSettings(NfeSteps: steps, Seed: seed));

    private sealed class Item(EngineInput input) : IEngineItem
    {
        public long Seed { get; } = input.Sampler.Seed ?? 0;

        public int TotalFrames { get; } = input.TotalFrames;

        public int ReferenceFrames => 1;

        public int StepsDone { get; set; }

        public int StepsTotal { get; } = input.Sampler.NfeSteps;

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// A fake clock that also says when the worker arms a timer — which it does only to wait for more requests (the fill
/// wait) — so a test knows the worker is waiting rather than guessing with a sleep.
/// </summary>
internal sealed class WaitingClock : FakeTimeProvider, IDisposable
{
    private readonly SemaphoreSlim _armed = new(0);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _armed.Release();
        return timer;
    }

    /// <summary>Waits until the worker armed one more timer than was awaited before (bounded: a hang fails the test).</summary>
    public Task WaitArmedAsync(CancellationToken cancellationToken) =>
        _armed.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken).ContinueWith(
            t => Assert.True(t.Result, "the worker never started to wait for more requests"), TaskScheduler.Default);

    public void Dispose() => _armed.Dispose();

    /// <summary>Forgets timers armed so far.</summary>
    public void ForgetArmed()
    {
        while (_armed.Wait(0))
        {
        }
    }
}
