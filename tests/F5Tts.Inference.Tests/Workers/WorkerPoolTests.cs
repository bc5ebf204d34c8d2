using F5Tts.Inference.Batching;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using F5Tts.Inference.Tests.Batching;
using F5Tts.Inference.Workers;
using Microsoft.Extensions.Logging.Abstractions;

namespace F5Tts.Inference.Tests.Workers;

/// <summary>
/// The device-worker pool over batchers of model-free engines: routing to the least queued audio-seconds, 429 with the
/// predicted wait as Retry-After, a faulting device taken out with only its requests failed, and a hung one (a call that
/// never returns) taken out by the stall check.
/// </summary>
public sealed class WorkerPoolTests : IDisposable
{
    // 24 kHz, hop 256 (FakeEngine): 9375 frames are 100 s of audio.
    private const int HundredSeconds = 9_375;
    private readonly List<IDisposable> _owned = [];

    public void Dispose() => _owned.ForEach(d => d.Dispose());

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WorkerPool Pool(int count, BatchingOptions batching, WorkersOptions? options = null, bool start = false, Action<int, FakeEngine>? setUp = null, TimeProvider? callClock = null)
    {
        options ??= new WorkersOptions();
        var metrics = new F5TtsMetrics(new TestMeters());
        var workers = Enumerable.Range(0, count).Select(i =>
        {
            var fake = new FakeEngine();
            setUp?.Invoke(i, fake);
            var engine = new GuardedEngine(fake, ownsInner: true, options.FaultLimit, TimeSpan.FromSeconds(batching.RetryAfterSeconds), callClock);
            var worker = new DeviceWorker($"cpu{i}", i, engine, new BatchScheduler(engine, batching, metrics, NullLogger.Instance, $"cpu{i}"));
            if (start)
            {
                worker.Scheduler.Start();
            }

            worker.MarkWarm();
            return worker;
        }).ToList();
        var pool = new WorkerPool(workers, batching, options);
        _owned.Add(pool);
        return pool;
    }

    [Fact]
    public void A_request_goes_to_the_worker_with_the_least_queued_audio_seconds()
    {
        // Not started: admitted work stays queued, so the routing decisions are exact.
        var pool = Pool(3, new BatchingOptions());
        string Route(long frames) => pool.Admit(1, frames, Ct).WorkerName;

        Assert.Equal("cpu0", Route(3 * HundredSeconds)); // all empty: the lowest device
        Assert.Equal("cpu1", Route(HundredSeconds));
        Assert.Equal("cpu2", Route(2 * HundredSeconds));
        Assert.Equal("cpu1", Route(HundredSeconds)); // 100 s < 200 s < 300 s
        Assert.Equal("cpu1", Route(HundredSeconds)); // 200 s = 200 s: the lower device wins the tie
        Assert.Equal([300.0, 300.0, 200.0], pool.Workers.Select(w => Math.Round(w.QueuedAudioSeconds, 6)));

        // A request disposed before submitting its chunks gives its audio-seconds back.
        var early = pool.Admit(2, 4 * HundredSeconds, Ct);
        Assert.Equal("cpu2", early.WorkerName);
        Assert.Equal(600.0, pool.Workers[2].QueuedAudioSeconds, 6);
        early.Dispose();
        Assert.Equal(200.0, pool.Workers[2].QueuedAudioSeconds, 6);
        Assert.Equal(200.0, pool.PredictedWaitSeconds!.Value, 6); // the least loaded worker; no throughput measured yet: real time
    }

    [Fact]
    public void When_every_queue_is_full_the_request_gets_429_with_the_predicted_wait()
    {
        var pool = Pool(2, new BatchingOptions { QueueCapacity = 1, RetryAfterSeconds = 1 }, new WorkersOptions { MaxRetryAfterSeconds = 600 });
        Assert.Equal("cpu0", pool.Admit(1, 3 * HundredSeconds, Ct).WorkerName);
        Assert.Equal("cpu1", pool.Admit(1, HundredSeconds + 1, Ct).WorkerName);

        var full = Assert.Throws<TtsException>(() => pool.Admit(1, 10, Ct));
        Assert.Equal(TtsErrorKind.QueueFull, full.Kind);
        // The least loaded worker frees up first: 100.0107 s → 101 s.
        Assert.Equal(TimeSpan.FromSeconds(101), full.RetryAfter);

        var capped = Pool(1, new BatchingOptions { QueueCapacity = 1, RetryAfterSeconds = 2 }, new WorkersOptions { MaxRetryAfterSeconds = 30 });
        capped.Admit(1, 5 * HundredSeconds, Ct);
        Assert.Equal(TimeSpan.FromSeconds(30), Assert.Throws<TtsException>(() => capped.Admit(1, 10, Ct)).RetryAfter);
    }

    [Fact]
    public async Task A_faulting_device_fails_only_its_requests_and_is_taken_out()
    {
        const long Poison = 7; // every step of a batch holding this seed fails, as on a lost device
        var pool = Pool(2, new BatchingOptions { MaxWaitMilliseconds = 0 }, new WorkersOptions { FaultLimit = 2 }, start: true,
            setUp: (i, fake) => fake.FailStepSeed = i == 0 ? Poison : null);

        // First fault: only that request fails; the worker stays in service (an out-of-memory batch is not fatal).
        using (var first = pool.Admit(1, 200, Ct))
        {
            Assert.Equal("cpu0", first.WorkerName);
            await Assert.ThrowsAnyAsync<Exception>(() => first.Submit(FakeEngine.Input(Poison)));
        }

        Assert.True(pool.Workers[0].IsServing);
        using (var healthy = pool.Admit(1, 200, Ct))
        {
            Assert.Equal("cpu0", healthy.WorkerName);
            await healthy.Submit(FakeEngine.Input(1));
        }

        // Two consecutive faults take it out: later requests all go to cpu1 and succeed.
        using (var second = pool.Admit(1, 200, Ct))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => second.Submit(FakeEngine.Input(Poison)));
        }

        using (var third = pool.Admit(1, 200, Ct))
        {
            Assert.Equal("cpu0", third.WorkerName);
            await Assert.ThrowsAnyAsync<Exception>(() => third.Submit(FakeEngine.Input(Poison)));
        }

        Assert.False(pool.Workers[0].IsServing);
        Assert.Equal(1, pool.ServingCount);
        for (long seed = 10; seed < 14; seed++)
        {
            using var admission = pool.Admit(1, 200, Ct);
            Assert.Equal("cpu1", admission.WorkerName);
            Assert.Equal(seed, (await admission.Submit(FakeEngine.Input(seed))).Audio[0]);
        }

        Assert.Equal([0.0, 0.0], pool.Workers.Select(w => w.QueuedAudioSeconds));
        Assert.Equal([3L, 0L], pool.Snapshot().Select(s => s.Faults));
        Assert.Equal([false, true], pool.Snapshot().Select(s => s.Up));
    }
    [Fact]
    public async Task A_device_call_that_never_returns_takes_its_worker_out_and_fails_what_waits_for_it()
    {
        // cpu0's first step never returns until the end of the test, as on a hung GPU; the clock of the engine calls is
        // the fake one, so the stall check sees exactly the time the test moves.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        FakeEngine? hung = null;
        var pool = Pool(2, new BatchingOptions { MaxWaitMilliseconds = 0 }, start: true, callClock: clock,
            setUp: (i, fake) => { if (i == 0) { fake.HoldStep = 1; hung = fake; } });
        var limit = TimeSpan.FromSeconds(300);
        static Exception Error(DeviceWorker w) => TtsException.NotReady($"{w.Name} stopped responding", TimeSpan.FromSeconds(5));

        using var running = pool.Admit(1, 200, Ct);
        Assert.Equal("cpu0", running.WorkerName);
        var stuck = running.Submit(FakeEngine.Input(1));
        await hung!.Held.Task.WaitAsync(TimeSpan.FromMinutes(2), Ct);
        using var waitingAdmission = pool.Workers[0].Scheduler.Admit(1, Ct);
        var waiting = waitingAdmission.Submit(FakeEngine.Input(2)); // behind the stuck step, in cpu0's hand-off

        Assert.Empty(pool.TakeOutStalled(limit, Error)); // the call has run 0 s
        clock.Advance(limit);
        Assert.Empty(pool.TakeOutStalled(limit, Error)); // exactly the limit is not past it
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["cpu0"], pool.TakeOutStalled(limit, Error).Select(w => w.Name));
        Assert.Empty(pool.TakeOutStalled(limit, Error)); // taken out once

        var failure = await Assert.ThrowsAsync<TtsException>(() => waiting.WaitAsync(TimeSpan.FromMinutes(2), Ct));
        Assert.Equal(TtsErrorKind.NotReady, failure.Kind);
        Assert.Equal(["cpu0"], pool.StalledWorkers);
        Assert.True(pool.Workers[0].Engine.IsStalled);
        Assert.Equal(1, pool.ServingCount);
        using (var next = pool.Admit(1, 200, Ct))
        {
            Assert.Equal("cpu1", next.WorkerName);
            await next.Submit(FakeEngine.Input(3)).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        }

        Assert.False(stuck.IsCompleted); // its chunk fails at the request's deadline, not by the check
        hung.Release(); // lets the test's thread end; the engine refuses the next call (503)
        await Assert.ThrowsAnyAsync<Exception>(() => stuck.WaitAsync(TimeSpan.FromMinutes(2), Ct));
    }
}
