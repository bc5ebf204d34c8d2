using System.Collections.Concurrent;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Health;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using System.Globalization;
using F5Tts.Inference.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Synthesis;

/// <summary>
/// Owns the engines' life in the host: loads one engine per device when the host starts (a broken model directory
/// stops startup with the engine's message), warms them up as the <c>engine</c> startup task (readiness flips once
/// <c>F5Tts:Workers:MinReady</c> workers are warm — all by default), runs a batch worker per device behind the
/// <see cref="WorkerPool"/>, and on shutdown drains: new requests get 503 while queued and running ones finish, before
/// the HTTP server stops (IHostedLifecycleService.StoppingAsync runs ahead of every StopAsync).
/// </summary>
internal sealed class EngineHost : IHostedLifecycleService, IStartupTask, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly BatchingOptions _batching;
    private readonly WorkersOptions _workers;
    private readonly int _defaultSteps;
    private readonly F5TtsMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private WorkerPool? _pool;
    private ITimer? _stallWatch;
    private volatile bool _ready;
    private Task? _warmUp;
    private Task? _warmUps;

    // With picking, the workers of one device (F5Tts:Workers:PerDevice) warm up and time their steps one after another:
    // side by side, each would time its steps under the other's warm-up or timing and pick from slowed steps.
    private readonly ConcurrentDictionary<int, Lock> _calibrating = new();

    // Startup tasks may begin before this service's StartAsync (the runner starts first); warm-up waits for the load.
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EngineHost(
        IServiceProvider services, IOptions<BatchingOptions> batching, IOptions<WorkersOptions> workers, IOptions<SynthesisOptions> synthesis,
        F5TtsMetrics metrics, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
    {
        // Readiness turns 503 the moment shutdown begins (ApplicationStopping), a while before StoppingAsync below runs
        // on a busy machine: admission stops at that same moment, so no request is admitted once readiness says so.
        lifetime.ApplicationStopping.Register(() => _pool?.StopAccepting());
        _services = services;
        _batching = batching.Value;
        _workers = workers.Value;
        _defaultSteps = synthesis.Value.DefaultNfeSteps;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<EngineHost>();
    }

    /// <inheritdoc />
    public string Name => "engine";

    /// <summary>The loaded model (the same on every device); null until the host started.</summary>
    public EngineDescription? Description => _pool?.Workers[0].Engine.Description;

    /// <summary>True once enough workers are warm and at least one takes requests, until shutdown begins.</summary>
    public bool IsReady => _ready && _pool is { ServingCount: > 0 };

    /// <summary>Workers taking requests once warm-up ended; null before.</summary>
    public int? ServingWorkers => _ready ? _pool?.ServingCount : null;

    /// <summary>The loaded model, or 503 while it is still loading.</summary>
    public EngineDescription LoadedModel => Description ?? throw NotReady("The model is still loading.");

    /// <summary>The device workers, or 503 while loading, warming up or draining.</summary>
    public WorkerPool Workers =>
        IsReady ? _pool! : throw NotReady(
            _pool is null || !_ready ? "The model is still loading."
            : _pool.Workers.Any(w => w.Scheduler.IsAccepting) ? "No device worker is in service." : "The service is shutting down.");

    private TtsException NotReady(string detail) =>
        TtsException.NotReady(detail, TimeSpan.FromSeconds(_batching.RetryAfterSeconds));

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var factory = _services.GetService<ITtsEngineFactory>();
        var deviceIds = (factory?.DeviceIds ?? [0]).SelectMany(d => Enumerable.Repeat(d, _workers.PerDevice)).ToList();
        var engines = new List<(int Device, ITtsEngine Engine, bool Owned)>();
        try
        {
            if (deviceIds.Count == 1)
            {
                // One worker: the container's engine (owned and disposed by the container).
                engines.Add((deviceIds[0], _services.GetRequiredService<ITtsEngine>(), false));
            }
            else
            {
                if (factory is null)
                {
                    throw new InvalidOperationException($"{WorkersOptions.SectionName}:PerDevice > 1 needs an engine that can be created per device (ITtsEngineFactory).");
                }

                foreach (var device in deviceIds)
                {
                    engines.Add((device, factory.Create(device), true));
                }
            }
        }
        catch
        {
            engines.Where(e => e.Owned).ToList().ForEach(e => e.Engine.Dispose());
            throw;
        }

        var workers = engines.Select((e, index) => CreateWorker(
            e.Device, e.Engine, e.Owned, WorkerName(e.Engine.Description, e.Device, engines.Count, _workers.PerDevice, index % _workers.PerDevice))).ToList();
        _pool = new WorkerPool(workers, _batching, _workers);
        _metrics.ObserveWorkers(_pool.Snapshot);
        WatchStalls();
        _loaded.TrySetResult();
        return Task.CompletedTask;
    }

    /// <summary>Checks a few times per <c>StallSeconds</c> for an engine call that never returned (a hung device).</summary>
    private void WatchStalls()
    {
        if (_workers.StallSeconds <= 0)
        {
            return;
        }

        var limit = TimeSpan.FromSeconds(_workers.StallSeconds);
        var period = TimeSpan.FromSeconds(Math.Clamp(_workers.StallSeconds / 10, 0.1, 30));
        var error = (DeviceWorker w) => TtsException.NotReady(
            $"The device worker {w.Name} stopped responding (an engine call never returned); retry on another instance.",
            TimeSpan.FromSeconds(_batching.RetryAfterSeconds));
        _stallWatch = TimeProvider.System.CreateTimer(_ => _pool?.TakeOutStalled(limit, error), null, period, period);
    }

    /// <summary>Names of the workers whose thread is stuck in an engine call (they never come back: restart).</summary>
    public IReadOnlyList<string> StalledWorkers => _pool?.StalledWorkers ?? [];

    private DeviceWorker CreateWorker(int device, ITtsEngine engine, bool owned, string name)
    {
        var d = engine.Description;
        _logger.LogInformation(
            "Loaded model {Model} ({Contract}, {Precision}); max frames {MaxFrames}, max batch {MaxBatch}; providers {Providers}; worker {Worker}",
            d.Model, d.Contract, d.Precision, d.MaxFrames, d.SupportsBatching ? d.MaxBatchSize : 1,
            string.Join(", ", d.ProvidersByStage.Select(p => $"{p.Key}={p.Value}")), name);
        var guarded = new GuardedEngine(engine, owned, _workers.FaultLimit, TimeSpan.FromSeconds(_batching.RetryAfterSeconds));
        guarded.TakenOut += cause => _logger.LogCritical(
            cause, "Worker {Worker} taken out of service ({Reason}); its requests fail, new ones go to the other workers",
            name, guarded.IsStalled ? cause.Message : $"a failed warm-up, or {_workers.FaultLimit} consecutive failed steps");
        var scheduler = new BatchScheduler(guarded, _batching, _metrics, _loggerFactory.CreateLogger<BatchScheduler>(), name);
        return new DeviceWorker(name, device, guarded, scheduler);
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A worker (logs, thread names, the <c>worker</c> metric label) is named after the device its Transformer runs on:
    /// <c>gpu{id}</c> with the device ordinal of <c>F5Tts:Engine:DeviceIds</c> (or <c>DeviceId</c>) on a GPU provider;
    /// <c>cpu</c> for a single CPU worker and <c>cpu{index}</c> for several. With several workers per device
    /// (<c>F5Tts:Workers:PerDevice</c>) each name ends in its index on the device: <c>gpu0.0</c>, <c>gpu0.1</c>.
    /// </summary>
    internal static string WorkerName(EngineDescription description, int deviceId, int workerCount, int perDevice = 1, int indexOnDevice = 0)
    {
        var transformer = description.ProvidersByStage.GetValueOrDefault("transformer") ?? "CPU";
        var name = !transformer.StartsWith("CPU", StringComparison.OrdinalIgnoreCase)
            ? string.Create(CultureInfo.InvariantCulture, $"gpu{deviceId}")
            : workerCount == 1 ? "cpu" : string.Create(CultureInfo.InvariantCulture, $"cpu{deviceId}");
        return perDevice > 1 ? string.Create(CultureInfo.InvariantCulture, $"{name}.{indexOnDevice}") : name;
    }

    /// <summary>
    /// Warm-up as a startup task: runs on worker threads so the host keeps answering health probes. Idempotent:
    /// every caller (the startup-task runner, the command-line tool) awaits the same single warm-up.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        lock (_loaded)
        {
            return _warmUp ??= WarmUpAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Warms every worker at once; completes when the required number is warm (the rest join when they are), or fails
    /// once too many have failed to warm up to reach it.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await _loaded.Task.WaitAsync(cancellationToken);
        var workers = _pool!.Workers;
        int required = _workers.MinReady == 0 ? workers.Count : Math.Min(_workers.MinReady, workers.Count);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int warm = 0, failed = 0;
        var warmUps = workers.Select(worker => Task.Factory.StartNew(
            () =>
            {
                try
                {
                    WarmUpAndPickBatchSize(worker, cancellationToken);
                    worker.Scheduler.Start();
                    worker.MarkWarm();
                    _logger.LogInformation("Worker {Worker} warmed up", worker.Name);
                    if (Interlocked.Increment(ref warm) == required)
                    {
                        enough.TrySetResult();
                    }
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Worker {Worker} failed to warm up and stays out of service", worker.Name);
                    if (workers.Count - Interlocked.Increment(ref failed) < required)
                    {
                        enough.TrySetException(ex);
                    }
                }
            },
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
        // The rest finish in the background (each logs its own outcome); disposal waits for them, since an engine
        // must not be disposed under a running call.
        _warmUps = Task.WhenAll(warmUps);
        try
        {
            await enough.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _warmUps.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }

        _ready = true;
        _logger.LogInformation("Engine warmed up ({Warm} of {Count} workers warm); accepting synthesis requests", Volatile.Read(ref warm), workers.Count);
    }

    /// <summary>
    /// Warms the worker's engine up and, with a latency budget (F5Tts:Batching:LatencyBudgetMilliseconds), picks its
    /// batch size from its measured steps — one worker of a device at a time.
    /// </summary>
    private void WarmUpAndPickBatchSize(DeviceWorker worker, CancellationToken cancellationToken)
    {
        if (_batching.LatencyBudgetMilliseconds <= 0 || worker.Scheduler.MaxBatchSize <= 1)
        {
            worker.Engine.WarmUp(cancellationToken);
            return;
        }

        var limit = worker.Scheduler.MaxBatchSize;
        BatchSizeChoice choice;
        lock (_calibrating.GetOrAdd(worker.DeviceId, _ => new Lock()))
        {
            worker.Engine.WarmUp(cancellationToken);
            choice = worker.Scheduler.PickBatchSize(
                TimeSpan.FromMilliseconds(_batching.LatencyBudgetMilliseconds), _defaultSteps, _batching.BatchSizeTolerance, cancellationToken);
        }

        _logger.LogInformation(
            "Worker {Worker} keeps to batch size {BatchSize} of {Limit}: {Reason}", worker.Name, choice.BatchSize, limit, choice.Reason);
    }

    /// <summary>
    /// The largest batch limit of the workers: the configured one (capped by the engine; 1 without batching), or the
    /// size picked during warm-up. 503 while the model is still loading.
    /// </summary>
    public int BatchLimit => (_pool ?? throw NotReady("The model is still loading.")).Workers.Max(w => w.Scheduler.MaxBatchSize);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_pool is null)
        {
            return;
        }

        _logger.LogInformation(
            "Draining: {Waiting} waiting and {Running} running requests finish; new ones get 503",
            _pool.WaitingCount, _pool.RunningCount);
        await _pool.DrainAsync(cancellationToken);
        _logger.LogInformation("Drained");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _stallWatch?.Dispose();
        // Warm-ups still running (a host stopped during start) end at their next cancellation check.
        _warmUps?.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Wait();
        _pool?.Dispose();
    }
}
