using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Health;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Synthesis;

/// <summary>
/// Owns the engine's life in the host: loads it when the host starts (a broken model directory stops startup with
/// the engine's message), warms it up as the <c>engine</c> startup task (readiness flips after it), runs its batch
/// worker, and on shutdown drains: new requests get 503 while queued and running ones finish, before the HTTP
/// server stops (IHostedLifecycleService.StoppingAsync runs ahead of every StopAsync).
/// </summary>
internal sealed class EngineHost : IHostedLifecycleService, IStartupTask, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly BatchingOptions _batching;
    private readonly F5TtsMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private ITtsEngine? _engine;
    private BatchScheduler? _scheduler;
    private volatile bool _ready;
    private Task? _warmUp;

    // Startup tasks may begin before this service's StartAsync (the runner starts first); warm-up waits for the load.
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EngineHost(IServiceProvider services, IOptions<BatchingOptions> batching, F5TtsMetrics metrics, ILoggerFactory loggerFactory)
    {
        _services = services;
        _batching = batching.Value;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<EngineHost>();
    }

    /// <inheritdoc />
    public string Name => "engine";

    /// <summary>The loaded model; null until the host started.</summary>
    public EngineDescription? Description => _engine?.Description;

    /// <summary>True once warm-up finished and the worker runs, until shutdown begins.</summary>
    public bool IsReady => _ready && _scheduler is { IsAccepting: true };

    /// <summary>The loaded model, or 503 while it is still loading.</summary>
    public EngineDescription LoadedModel => Description ?? throw NotReady("The model is still loading.");

    /// <summary>The batcher, or 503 while loading, warming up or draining.</summary>
    public BatchScheduler Scheduler =>
        IsReady ? _scheduler! : throw NotReady(
            _scheduler is null || !_ready ? "The model is still loading." : "The service is shutting down.");

    private TtsException NotReady(string detail) =>
        TtsException.NotReady(detail, TimeSpan.FromSeconds(_batching.RetryAfterSeconds));

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _engine = _services.GetRequiredService<ITtsEngine>();
        var d = _engine.Description;
        _logger.LogInformation(
            "Loaded model {Model} ({Contract}, {Precision}); max frames {MaxFrames}, max batch {MaxBatch}; providers {Providers}; worker {Worker}",
            d.Model, d.Contract, d.Precision, d.MaxFrames, d.SupportsBatching ? d.MaxBatchSize : 1,
            string.Join(", ", d.ProvidersByStage.Select(p => $"{p.Key}={p.Value}")), WorkerName(d));
        _scheduler = new BatchScheduler(_engine, _batching, _metrics, _loggerFactory.CreateLogger<BatchScheduler>(), WorkerName(d));
        _loaded.TrySetResult();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The worker (logs, thread names) is named after the device its Transformer runs on: <c>cpu</c>, or
    /// <c>gpu{F5Tts:Engine:DeviceId}</c> on a GPU provider.
    /// </summary>
    internal string WorkerName(EngineDescription description)
    {
        var transformer = description.ProvidersByStage.GetValueOrDefault("transformer") ?? "CPU";
        if (transformer.StartsWith("CPU", StringComparison.OrdinalIgnoreCase))
        {
            return "cpu";
        }

        var device = _services.GetService<IConfiguration>()?["F5Tts:Engine:DeviceId"];
        return $"gpu{(string.IsNullOrEmpty(device) ? "0" : device)}";
    }

    /// <summary>
    /// Warm-up as a startup task: runs on a worker thread so the host keeps answering health probes. Idempotent:
    /// every caller (the startup-task runner, the command-line tool) awaits the same single warm-up.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        lock (_loaded)
        {
            return _warmUp ??= WarmUpAsync(cancellationToken);
        }
    }

    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await _loaded.Task.WaitAsync(cancellationToken);
        var engine = _engine!;
        await Task.Factory.StartNew(
            () => engine.WarmUp(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _scheduler!.Start();
        _ready = true;
        _logger.LogInformation("Engine warmed up; accepting synthesis requests");
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_scheduler is null)
        {
            return;
        }

        _logger.LogInformation(
            "Draining: {Waiting} waiting and {Running} running requests finish; new ones get 503",
            _scheduler.WaitingCount, _scheduler.RunningCount);
        await _scheduler.DrainAsync(cancellationToken);
        _logger.LogInformation("Drained");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _scheduler?.Dispose();
}
