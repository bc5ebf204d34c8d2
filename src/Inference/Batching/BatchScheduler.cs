using F5Tts.Inference.Engine;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging;

namespace F5Tts.Inference.Batching;

/// <summary>
/// Step-level continuous batcher for one engine (one device), in parts (docs/serving.md "How the batcher is built"): the
/// <see cref="RequestQueue"/> admits requests and hands their chunks over, the <see cref="BatchWorker"/> on one
/// long-running thread owns the engine and runs the batch step by step under the <see cref="BatchPolicy"/>, and each
/// <see cref="SynthesisJob"/> completes itself. Because the batched Transformer takes a time step per item, a request
/// never waits for a whole batch to finish before it can start. This class starts and stops them.
/// </summary>
internal sealed class BatchScheduler : IDisposable
{
    private readonly RequestQueue _queue;
    private readonly BatchWorker _worker;
    private readonly ITtsEngine _engine;
    private readonly int _maxBatchFrames;
    private readonly JobLedger _ledger;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private int _disposed;
    private volatile bool _abandoned;

    public BatchScheduler(
        ITtsEngine engine, BatchingOptions options, F5TtsMetrics metrics, ILogger logger, string name = "gpu0", TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _name = name;
        _ledger = new JobLedger(metrics, time ?? TimeProvider.System);
        _queue = new RequestQueue(options, _ledger);
        _engine = engine;
        _maxBatchFrames = options.MaxBatchFrames;
        _worker = new BatchWorker(engine, _queue, options, BatchLimits.From(options, engine.Description), _ledger, logger, name);
    }

    /// <summary>Queue slots taken: chunks waiting for a batch, and chunks of admitted requests not submitted yet.</summary>
    public int WaitingCount => _ledger.Slots;

    /// <summary>Chunks admitted to a batch: being prepared or riding in it.</summary>
    public int RunningCount => _ledger.Running;

    /// <summary>Transformer calls made so far.</summary>
    public long StepCount => _worker.StepCount;

    /// <summary>False once shutdown began: new requests are refused with 503.</summary>
    public bool IsAccepting => _queue.IsAccepting;

    /// <summary>Most items in one Transformer call: the configured limit, or the batch size picked at start.</summary>
    public int MaxBatchSize => _worker.MaxBatchSize;

    /// <summary>
    /// Before <see cref="Start"/>: times the engine's step at each candidate batch size and limits the batch to the size
    /// that gives the most throughput within <paramref name="budget"/> (<see cref="BatchSizePicker"/>,
    /// docs/serving.md "Picking the batch size"). Runs on the calling thread (the warm-up's), like the warm-up.
    /// </summary>
    public BatchSizeChoice PickBatchSize(TimeSpan budget, int steps, double tolerance, CancellationToken cancellationToken)
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("The batch size is picked before the scheduler starts.");
        }

        var timings = BatchSizePicker.Measure(
            _engine, BatchSizePicker.Candidates(MaxBatchSize, _maxBatchFrames), _ledger.Time,
            (size, error) => _logger.LogWarning(error, "Worker {Worker}: batch size {Size} failed while timing the step; picking among the smaller sizes", _name, size),
            cancellationToken);
        var choice = BatchSizePicker.Pick(timings, budget, steps, tolerance);
        _worker.LimitBatchSize(choice.BatchSize);
        return choice;
    }

    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("The scheduler is already running.");
        }

        _thread = new Thread(RunWorker) { IsBackground = true, Name = $"f5tts-worker-{_name}" };
        _thread.Start();
        _logger.LogInformation("Batch worker {Worker} started (max batch {MaxBatch})", _name, MaxBatchSize);
    }

    /// <summary>
    /// Admits a request of <paramref name="chunks"/> chunks as one unit (<see cref="RequestQueue.Admit"/>): 413 when it
    /// needs more queue slots than exist, 429 when they are taken, 503 while shutting down. Cancellation of
    /// <paramref name="cancellationToken"/> (client abort or deadline) removes its chunks from the queue or their batch.
    /// </summary>
    public RequestAdmission Admit(int chunks, CancellationToken cancellationToken) => _queue.Admit(chunks, cancellationToken);

    /// <summary>Stops admitting new requests (503); the admitted ones go on. Idempotent.</summary>
    public void StopAccepting() => _queue.BeginDrain();

    /// <summary>
    /// Gives up on a worker whose thread is stuck in an engine call that never returns (a hung device): new requests get
    /// 503, the chunks still in the hand-off fail now with <paramref name="error"/>, and drain and dispose no longer
    /// wait for the thread (a background thread: the process can still exit). Chunks the stuck thread had already taken
    /// fail at their request's deadline.
    /// </summary>
    public void Abandon(Exception error)
    {
        _abandoned = true;
        _queue.BeginDrain();
        _queue.Close();
        _queue.FailWaiting(error);
        _stopped.TrySetResult();
    }

    /// <summary>True once <see cref="Abandon"/> gave up on the worker's thread.</summary>
    public bool IsAbandoned => _abandoned;

    /// <summary>
    /// Stops admitting new requests and lets every admitted request finish — its queued and running chunks and the ones
    /// it has yet to submit (graceful drain) — or gives up when <paramref name="cancellationToken"/> fires, failing what
    /// is left with 503.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _queue.BeginDrain();
        if (_thread is null)
        {
            return;
        }

        try
        {
            await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _stopped.Task.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        // Idempotent: DI may hold the owner under several registrations.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.BeginDrain();
        _queue.Close();
        _stopping.Cancel();
        if (!_abandoned)
        {
            _thread?.Join();
            _stopping.Dispose(); // the stuck thread of an abandoned worker may still read the token
        }
    }

    private void RunWorker()
    {
        try
        {
            _worker.Run(_stopping.Token);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }
}
