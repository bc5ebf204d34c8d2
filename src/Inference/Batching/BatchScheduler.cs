using System.Diagnostics;
using System.Threading.Channels;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging;

namespace F5Tts.Inference.Batching;

/// <summary>
/// Step-level continuous batcher for one engine (one device). Requests enter through a channel; a single
/// long-running worker thread owns the engine and, at every Transformer step boundary, drops cancelled items,
/// admits waiting ones (length-bucketed, bounded by batch size and padded frames), runs one step over the batch and
/// decodes the items that finished. Because the batched Transformer takes a time step per item, a request never
/// waits for a whole batch to finish before it can start.
/// Where the engine allows it (<see cref="ITtsEngine.ConcurrentPrepare"/>) and F5Tts:Batching:OverlapPreprocess is on,
/// admitted jobs are prepared (Preprocess) on a second, dedicated thread while the worker keeps stepping the running
/// batch; each prepared item joins at the next step boundary. A job counts toward the batch limits from the moment it
/// is admitted for preparation, so joining never overshoots them (docs/serving.md "Preprocess overlap").
/// </summary>
internal sealed class BatchScheduler : IDisposable
{
    private readonly ITtsEngine _engine;
    private readonly BatchingOptions _options;
    private readonly ILogger _logger;
    private readonly F5TtsMetrics _metrics;
    private readonly Channel<SynthesisJob> _channel;
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxBatchSize;
    private readonly string _name;
    private readonly bool _overlap;
    private readonly int _prepareParallelism;
    private readonly Channel<SynthesisJob>? _toPrepare;
    private readonly Channel<Prepared>? _prepared;
    private Thread? _thread;
    private Thread? _prepareThread;
    private volatile bool _abandonPrepare;
    private int _waiting;
    private int _running;
    private long _step;
    private int _disposed;
    // Worker thread only: the largest batch of the current busy period, and of the last one with when it ended — the
    // fill target an idle worker waits for (WaitForWork).
    private int _busyPeak;
    private int _lastPeak;
    private long _idleSince;
    private bool _holding; // waiting requests are held for the next cohort (CohortHoldFraction)
    private volatile bool _accepting = true;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BatchScheduler(ITtsEngine engine, BatchingOptions options, F5TtsMetrics metrics, ILogger logger, string name = "gpu0")
    {
        _engine = engine;
        _metrics = metrics;
        _options = options;
        _logger = logger;
        _name = name;
        _maxBatchSize = engine.Description.SupportsBatching
            ? Math.Max(1, Math.Min(options.MaxBatchSize, engine.Description.MaxBatchSize))
            : 1;
        // The channel itself is only a hand-off to the worker; the admission bound is the _waiting counter,
        // so that a request cancelled while waiting frees its slot at once rather than when the worker reads it.
        _channel = Channel.CreateUnbounded<SynthesisJob>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
        });

        // With one item per batch nothing can be prepared ahead of the running one: overlap would only add a hop.
        _overlap = options.OverlapPreprocess && engine.ConcurrentPrepare && _maxBatchSize > 1;
        _prepareParallelism = engine.ConcurrentPrepare ? Math.Max(1, options.PrepareParallelism) : 1;
        if (_overlap)
        {
            _toPrepare = Channel.CreateUnbounded<SynthesisJob>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            _prepared = Channel.CreateUnbounded<Prepared>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        }
    }

    /// <summary>True when Preprocess runs on the preparation thread, overlapping the Transformer steps.</summary>
    public bool OverlapsPreprocess => _overlap;

    /// <summary>Requests waiting for a batch slot.</summary>
    public int WaitingCount => Volatile.Read(ref _waiting);

    /// <summary>Requests admitted to a batch: being prepared or riding in it.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>Transformer calls made so far.</summary>
    public long StepCount => Interlocked.Read(ref _step);

    /// <summary>False once shutdown began: new requests are refused with 503.</summary>
    public bool IsAccepting => _accepting;

    public int MaxBatchSize => _maxBatchSize;

    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("The scheduler is already running.");
        }

        if (_overlap)
        {
            _prepareThread = new Thread(PrepareLoop) { IsBackground = true, Name = $"f5tts-prepare-{_name}" };
            _prepareThread.Start();
        }

        _thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"f5tts-worker-{_name}" };
        _thread.Start();
        _logger.LogInformation(
            "Batch worker {Worker} started (max batch {MaxBatch}); Preprocess {Where}",
            _name,
            _maxBatchSize,
            _overlap ? "overlaps the Transformer steps on a preparation thread" : "runs on the worker thread between steps");
    }

    /// <summary>
    /// Queues one utterance and completes when its audio is decoded. Throws <see cref="TtsException"/> of kind QueueFull when the
    /// queue is at capacity and NotReady while shutting down; cancellation of
    /// <paramref name="cancellationToken"/> (client abort or deadline) removes it from the queue or its batch.
    /// </summary>
    public Task<SynthesisOutcome> SubmitAsync(EngineInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!_accepting)
        {
            throw ShuttingDown();
        }

        if (Interlocked.Increment(ref _waiting) > _options.QueueCapacity)
        {
            Interlocked.Decrement(ref _waiting);
            throw TtsException.QueueFull(TimeSpan.FromSeconds(_options.RetryAfterSeconds));
        }

        _metrics.QueueEntered();

        var job = new SynthesisJob(input, cancellationToken);
        if (cancellationToken.CanBeCanceled)
        {
            // Frees the queue slot immediately; a running job is removed by the worker at the next step boundary.
            var registration = cancellationToken.Register(static state =>
            {
                var (scheduler, j) = ((BatchScheduler, SynthesisJob))state!;
                scheduler.CancelIfWaiting(j);
            }, (this, job));
            _ = job.Completion.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, TaskScheduler.Default);
        }

        if (!_channel.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _waiting);
            _metrics.QueueLeft();
            throw ShuttingDown();
        }

        return job.Completion.Task;
    }

    /// <summary>
    /// Stops admitting new requests and lets every queued and running request finish (graceful drain), or gives up
    /// when <paramref name="cancellationToken"/> fires, failing what is left.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _accepting = false;
        _channel.Writer.TryComplete();
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

        _accepting = false;
        _channel.Writer.TryComplete();
        _stopping.Cancel();
        _thread?.Join();
        _stopping.Dispose();
    }

    private void CancelIfWaiting(SynthesisJob job)
    {
        if (job.TryCancelWaiting())
        {
            Interlocked.Decrement(ref _waiting);
            _metrics.QueueLeft();
            job.Completion.TrySetCanceled(job.CancellationToken);
        }
    }

    private void WorkerLoop()
    {
        var pending = new List<SynthesisJob>();
        var active = new List<(SynthesisJob Job, IEngineItem Item)>();
        var preparing = new List<SynthesisJob>(); // admitted, handed to the preparation thread, not yet joined
        var stop = _stopping.Token;
        try
        {
            while (true)
            {
                if (active.Count == 0 && pending.Count == 0 && preparing.Count == 0)
                {
                    _lastPeak = _busyPeak;
                    _busyPeak = 0;
                    _idleSince = Stopwatch.GetTimestamp();
                    _holding = false;
                    if (!WaitForWork(pending, stop))
                    {
                        break;
                    }
                }
                else
                {
                    Drain(pending);
                }

                stop.ThrowIfCancellationRequested();
                pending.RemoveAll(j => !j.IsWaiting); // cancelled while waiting: already completed
                RemoveCancelled(active);
                if (_overlap)
                {
                    JoinPrepared(preparing, active, stop);
                }

                if (_holding && active.Count == 0 && preparing.Count == 0)
                {
                    // The cohort the waiting requests were held for has finished: give the clients it just served a
                    // moment to come back, then start everyone as one cohort.
                    _holding = false;
                    FillWait(pending, Math.Clamp(_busyPeak, 1, _maxBatchSize), _options.CohortWaitMilliseconds, stop);
                }

                Admit(pending, active, preparing, stop);
                if (_overlap && active.Count == 0 && preparing.Count > 0)
                {
                    // Nothing to step meanwhile: let the admitted jobs finish preparing so they start as one batch,
                    // as they would when prepared on this thread.
                    WaitForPrepared(preparing, active, stop);
                }

                if (active.Count == 0)
                {
                    continue;
                }

                RunOneStep(active, stop);
                DecodeFinished(active, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Forced stop: fail whatever is left below.
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "Batch worker {Worker} crashed", _name);
        }
        finally
        {
            StopPreparing(preparing);
            FailAll(pending, active, preparing, Stopped());
            _stopped.TrySetResult();
        }
    }

    /// <summary>
    /// The preparation thread: runs Preprocess for each job the worker admitted, in admission order, and hands the
    /// item (or the error) back; the worker joins it at a step boundary. Never touches the batch.
    /// </summary>
    private void PrepareLoop()
    {
        var stop = _stopping.Token;
        var reader = _toPrepare!.Reader;
        try
        {
            while (reader.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
            {
                while (!_abandonPrepare && reader.TryRead(out var job))
                {
                    _prepared!.Writer.TryWrite(PrepareOne(job, stop));
                }

                if (_abandonPrepare)
                {
                    return; // the worker stopped: it fails what is left
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Forced stop: the worker fails what is left.
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "Preparation thread of {Worker} crashed", _name);
        }
        finally
        {
            _prepared!.Writer.TryComplete();
        }
    }

    private Prepared PrepareOne(SynthesisJob job, CancellationToken stop)
    {
        if (job.CancellationToken.IsCancellationRequested)
        {
            return new Prepared(job, null, null); // cancelled before its turn: no Preprocess for nothing
        }

        try
        {
            var started = Stopwatch.GetTimestamp();
            var item = _engine.Prepare(job.Input, stop);
            _metrics.RecordStage(PipelineStage.Preprocess, Stopwatch.GetElapsedTime(started));
            return new Prepared(job, item, null);
        }
        catch (Exception ex)
        {
            if (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                _logger.LogError(ex, "Preprocess failed for one request on {Worker}", _name);
            }

            return new Prepared(job, null, ex);
        }
    }

    /// <summary>
    /// Joins the items prepared since the last step boundary (worker thread, never blocks). A job cancelled while being
    /// prepared completes as cancelled at once; its item is dropped when it arrives.
    /// </summary>
    private void JoinPrepared(List<SynthesisJob> preparing, List<(SynthesisJob Job, IEngineItem Item)> active, CancellationToken stop)
    {
        while (_prepared!.Reader.TryRead(out var prepared))
        {
            var (job, item, error) = prepared;
            preparing.Remove(job);
            if (item is not null && !job.CancellationToken.IsCancellationRequested)
            {
                job.MarkJoined(Interlocked.Read(ref _step));
                active.Add((job, item));
                continue;
            }

            item?.Dispose();
            Interlocked.Decrement(ref _running);
            if (error is not null && !job.CancellationToken.IsCancellationRequested)
            {
                Fail(job, error is OperationCanceledException && stop.IsCancellationRequested ? Stopped() : error);
            }
            else if (job.TryFinish() >= 0)
            {
                job.Completion.TrySetCanceled(job.CancellationToken);
            }
        }

        foreach (var job in preparing)
        {
            if (job.CancellationToken.IsCancellationRequested && job.TryFinish() >= 0)
            {
                job.Completion.TrySetCanceled(job.CancellationToken);
            }
        }
    }

    /// <summary>Blocks until every job handed to the preparation thread came back (or the scheduler stops).</summary>
    private void WaitForPrepared(List<SynthesisJob> preparing, List<(SynthesisJob Job, IEngineItem Item)> active, CancellationToken stop)
    {
        while (preparing.Count > 0)
        {
            if (!_prepared!.Reader.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
            {
                throw new InvalidOperationException("The preparation thread ended with jobs in flight.");
            }

            JoinPrepared(preparing, active, stop);
        }
    }

    /// <summary>
    /// Worker exit: stops the preparation thread after its current Prepare (which the stop token interrupts on a
    /// forced stop) and disposes the items it produced; the jobs stay in <paramref name="preparing"/> to be failed.
    /// </summary>
    private void StopPreparing(List<SynthesisJob> preparing)
    {
        if (!_overlap)
        {
            return;
        }

        _abandonPrepare = true;
        _toPrepare!.Writer.TryComplete();
        _prepareThread?.Join();
        while (_prepared!.Reader.TryRead(out var prepared))
        {
            prepared.Item?.Dispose();
        }
    }

    /// <summary>
    /// Blocks until a job arrives, then waits (CohortWait or MaxWait) for others until the fill target is pending, so the
    /// batch starts as one cohort (docs/serving.md "Batching"). The target is the peak batch of the busy period that
    /// ended within FillTargetWindowMilliseconds — the clients that were just served tend to come back together, and a
    /// lone client (peak 1) never waits — else the batch limit, as on a cold or long-idle server.
    /// </summary>
    private bool WaitForWork(List<SynthesisJob> pending, CancellationToken stop)
    {
        var reader = _channel.Reader;
        if (!reader.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
        {
            return false; // completed and empty: drained
        }

        Drain(pending);
        var (target, returning) = FillTarget(_lastPeak, Stopwatch.GetElapsedTime(_idleSince), _maxBatchSize, _options.FillTargetWindowMilliseconds);
        FillWait(pending, target, returning ? _options.CohortWaitMilliseconds : _options.MaxWaitMilliseconds, stop);
        return true;
    }

    /// <summary>Drains arrivals into <paramref name="pending"/> until <paramref name="target"/> are pending or <paramref name="waitMilliseconds"/> have passed.</summary>
    private void FillWait(List<SynthesisJob> pending, int target, int waitMilliseconds, CancellationToken stop)
    {
        var reader = _channel.Reader;
        if (waitMilliseconds > 0 && pending.Count < target)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(waitMilliseconds * (Stopwatch.Frequency / 1000.0));
            while (pending.Count < target)
            {
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(remaining);
                try
                {
                    if (!reader.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult())
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    break;
                }

                Drain(pending);
            }
        }
    }

    /// <summary>
    /// True when every running item has at most <paramref name="fraction"/> of its steps left (and there is one): the
    /// batch is about to finish, so waiting requests are held for the next cohort (<see cref="BatchingOptions.CohortHoldFraction"/>).
    /// </summary>
    internal static bool HoldsNewcomers(IReadOnlyList<IEngineItem> running, double fraction)
    {
        if (fraction <= 0 || running.Count == 0)
        {
            return false;
        }

        for (var i = 0; i < running.Count; i++)
        {
            var item = running[i];
            if (item.StepsTotal - item.StepsDone > fraction * item.StepsTotal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// How many pending requests an idle worker waits for: the peak batch of its last busy period
    /// (<paramref name="lastPeak"/>, 0 for none) if that ended within <paramref name="windowMilliseconds"/> — the
    /// clients just served coming back (<c>Returning</c>: the wait is CohortWaitMilliseconds) — else the batch limit
    /// (a cold or long-idle server: MaxWaitMilliseconds).
    /// </summary>
    internal static (int Target, bool Returning) FillTarget(int lastPeak, TimeSpan sinceIdle, int maxBatchSize, int windowMilliseconds) =>
        lastPeak > 0 && windowMilliseconds > 0 && sinceIdle.TotalMilliseconds <= windowMilliseconds
            ? (Math.Min(maxBatchSize, lastPeak), true)
            : (maxBatchSize, false);

    private void Drain(List<SynthesisJob> pending)
    {
        while (_channel.Reader.TryRead(out var job))
        {
            if (job.IsWaiting)
            {
                pending.Add(job);
            }
        }
    }

    private void RemoveCancelled(List<(SynthesisJob Job, IEngineItem Item)> active)
    {
        for (var i = active.Count - 1; i >= 0; i--)
        {
            var (job, item) = active[i];
            if (!job.CancellationToken.IsCancellationRequested)
            {
                continue;
            }

            active.RemoveAt(i);
            item.Dispose();
            Interlocked.Decrement(ref _running);
            if (job.TryFinish() >= 0)
            {
                job.Completion.TrySetCanceled(job.CancellationToken);
            }
        }
    }

    /// <summary>
    /// Admits waiting jobs in arrival order while the batch has room: at most <see cref="_maxBatchSize"/> items,
    /// padded frames (items × longest) within MaxBatchFrames, and longest/shortest within MaxLengthRatio. A job that
    /// has waited longer than MaxBucketWaitMilliseconds blocks younger ones from overtaking it.
    /// </summary>
    private void Admit(List<SynthesisJob> pending, List<(SynthesisJob Job, IEngineItem Item)> active, List<SynthesisJob> preparing, CancellationToken stop)
    {
        // Jobs being prepared are members already: they join at a coming step boundary.
        var members = active.Count + preparing.Count;
        if (pending.Count == 0 || members >= _maxBatchSize)
        {
            return;
        }

        if (preparing.Count == 0 && HoldsNewcomers(active.ConvertAll(a => a.Item), _options.CohortHoldFraction))
        {
            _holding = true; // admitted when the running batch has finished (WorkerLoop)
            return;
        }

        var minFrames = int.MaxValue;
        var maxFrames = 0;
        foreach (var (_, item) in active)
        {
            minFrames = Math.Min(minFrames, item.TotalFrames);
            maxFrames = Math.Max(maxFrames, item.TotalFrames);
        }

        foreach (var job in preparing)
        {
            minFrames = Math.Min(minFrames, job.Input.TotalFrames);
            maxFrames = Math.Max(maxFrames, job.Input.TotalFrames);
        }

        var starvation = Stopwatch.Frequency / 1000 * _options.MaxBucketWaitMilliseconds;
        var now = Stopwatch.GetTimestamp();
        List<SynthesisJob>? admitted = null;
        for (var i = 0; i < pending.Count && members < _maxBatchSize; i++)
        {
            var job = pending[i];
            var frames = job.Input.TotalFrames;
            var newMin = Math.Min(minFrames, frames);
            var newMax = Math.Max(maxFrames, frames);
            var fits = members == 0
                || ((long)(members + 1) * newMax <= _options.MaxBatchFrames
                    && newMax <= newMin * _options.MaxLengthRatio);
            if (!fits)
            {
                if (now - job.EnqueuedTimestamp > starvation)
                {
                    break; // the oldest misfit goes next, once the batch has drained enough
                }

                continue;
            }

            pending.RemoveAt(i--);
            if (!job.TryStart(Interlocked.Read(ref _step)))
            {
                continue; // cancelled meanwhile
            }

            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _running);
            _metrics.QueueLeft();
            _metrics.RecordQueueWait(Stopwatch.GetElapsedTime(job.EnqueuedTimestamp, job.StartedTimestamp));
            members++;
            minFrames = newMin;
            maxFrames = newMax;
            if (_overlap)
            {
                preparing.Add(job);
                _toPrepare!.Writer.TryWrite(job); // unbounded, completed only by this thread at exit
                continue;
            }

            (admitted ??= []).Add(job);
        }

        if (admitted is not null)
        {
            PrepareAdmitted(admitted, active, stop);
        }
    }

    /// <summary>
    /// Runs Preprocess for the jobs just admitted (worker thread, between steps) and adds their items to the batch in
    /// admission order. With PrepareParallelism > 1 and an engine that allows concurrent Prepare calls, up to that
    /// many run at once: Preprocess is bound by host-side launch work, which threads overlap while the GPU runs the
    /// kernels of all of them on one stream (docs/serving.md "Starting a batch").
    /// </summary>
    private void PrepareAdmitted(List<SynthesisJob> admitted, List<(SynthesisJob Job, IEngineItem Item)> active, CancellationToken stop)
    {
        var items = new IEngineItem?[admitted.Count];
        var errors = new Exception?[admitted.Count];
        void PrepareOne(int k)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                items[k] = _engine.Prepare(admitted[k].Input, stop);
                _metrics.RecordStage(PipelineStage.Preprocess, Stopwatch.GetElapsedTime(started));
            }
            catch (Exception ex)
            {
                errors[k] = ex;
            }
        }

        var parallelism = Math.Min(_prepareParallelism, admitted.Count);
        if (parallelism > 1)
        {
            Parallel.For(0, admitted.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, PrepareOne);
        }
        else
        {
            for (var k = 0; k < admitted.Count; k++)
            {
                PrepareOne(k);
            }
        }

        OperationCanceledException? stopped = null;
        for (var k = 0; k < admitted.Count; k++)
        {
            var job = admitted[k];
            if (items[k] is { } item)
            {
                active.Add((job, item));
            }
            else if (errors[k] is OperationCanceledException oce && stop.IsCancellationRequested)
            {
                Interlocked.Decrement(ref _running);
                Fail(job, Stopped());
                stopped ??= oce;
            }
            else
            {
                // Only this request fails; the count of running requests must not keep it.
                _logger.LogError(errors[k], "Preprocess failed for one request on {Worker}", _name);
                Interlocked.Decrement(ref _running);
                Fail(job, errors[k]!);
            }
        }

        if (stopped is not null)
        {
            throw stopped;
        }
    }

    private void RunOneStep(List<(SynthesisJob Job, IEngineItem Item)> active, CancellationToken stop)
    {
        var items = new IEngineItem[active.Count];
        var maxFrames = 0;
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = active[i].Item;
            maxFrames = Math.Max(maxFrames, items[i].TotalFrames);
            active[i].Job.MaxBatchSize = Math.Max(active[i].Job.MaxBatchSize, items.Length);
        }

        _busyPeak = Math.Max(_busyPeak, items.Length);
        var started = Stopwatch.GetTimestamp();
        try
        {
            _engine.RunStep(items, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // An engine fault (e.g. device out of memory) fails only this batch; the worker keeps serving.
            _logger.LogError(ex, "Transformer step failed on {Worker}; failing the {Count} requests of this batch", _name, items.Length);
            foreach (var (job, item) in active)
            {
                item.Dispose();
                Interlocked.Decrement(ref _running);
                Fail(job, ex);
            }

            active.Clear();
            return;
        }

        Interlocked.Increment(ref _step);
        var elapsed = Stopwatch.GetElapsedTime(started);
        _metrics.RecordStage(PipelineStage.Transformer, elapsed);
        _metrics.RecordBatch(items.Length, (long)maxFrames * items.Length);
    }

    private void DecodeFinished(List<(SynthesisJob Job, IEngineItem Item)> active, CancellationToken stop)
    {
        var finished = active.Where(a => a.Item.IsComplete).ToList();
        if (finished.Count == 0)
        {
            return;
        }

        active.RemoveAll(a => a.Item.IsComplete);
        var step = Interlocked.Read(ref _step);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var audio = _engine.Decode(finished.Select(f => f.Item).ToArray(), stop);
            _metrics.RecordStage(PipelineStage.Decode, Stopwatch.GetElapsedTime(started));
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < finished.Count; i++)
            {
                var job = finished[i].Job;
                if (job.TryFinish() < 0)
                {
                    continue;
                }

                job.Completion.TrySetResult(new SynthesisOutcome(
                    audio[i],
                    Stopwatch.GetElapsedTime(job.EnqueuedTimestamp, job.StartedTimestamp),
                    Stopwatch.GetElapsedTime(job.StartedTimestamp, now),
                    job.MaxBatchSize,
                    job.AdmittedAtStep,
                    step));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Decode failed on {Worker}; failing {Count} requests", _name, finished.Count);
            foreach (var (job, _) in finished)
            {
                Fail(job, ex);
            }
        }
        finally
        {
            foreach (var (_, item) in finished)
            {
                item.Dispose();
                Interlocked.Decrement(ref _running);
            }
        }
    }

    private void FailAll(List<SynthesisJob> pending, List<(SynthesisJob Job, IEngineItem Item)> active, List<SynthesisJob> preparing, Exception error)
    {
        foreach (var job in preparing)
        {
            Interlocked.Decrement(ref _running);
            Fail(job, error);
        }

        preparing.Clear();
        foreach (var job in pending)
        {
            FailWaiting(job, error);
        }

        while (_channel.Reader.TryRead(out var job))
        {
            FailWaiting(job, error);
        }

        foreach (var (job, item) in active)
        {
            item.Dispose();
            Interlocked.Decrement(ref _running);
            Fail(job, error);
        }

        pending.Clear();
        active.Clear();
    }

    private void FailWaiting(SynthesisJob job, Exception error)
    {
        if (job.TryCancelWaiting())
        {
            Interlocked.Decrement(ref _waiting);
            _metrics.QueueLeft();
            job.Completion.TrySetException(error);
        }
    }

    private TtsException ShuttingDown() =>
        TtsException.NotReady("The service is shutting down.", TimeSpan.FromSeconds(_options.RetryAfterSeconds));

    private TtsException Stopped() =>
        TtsException.NotReady("The service stopped before the request finished.", TimeSpan.FromSeconds(_options.RetryAfterSeconds));

    private static void Fail(SynthesisJob job, Exception error)
    {
        if (job.TryFinish() >= 0)
        {
            job.Completion.TrySetException(error);
        }
    }

    /// <summary>What the preparation thread hands back: the item, or the error, or neither when the job was cancelled first.</summary>
    private readonly record struct Prepared(SynthesisJob Job, IEngineItem? Item, Exception? Error);
}
