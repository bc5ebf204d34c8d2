using F5Tts.Inference.Engine;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging;

namespace F5Tts.Inference.Batching;

/// <summary>
/// The loop of one engine's worker thread, which alone calls the engine: at every Transformer step boundary it drops
/// cancelled jobs, admits waiting ones (<see cref="BatchPolicy"/>), prepares them, runs one step over the batch and
/// decodes the jobs that finished. Jobs complete themselves (<see cref="SynthesisJob"/>); the worker only decides when.
/// Every deadline it waits for is anchored to a timestamp taken before the event that a caller can observe (a job's
/// submission, the decode that ended a batch), so a fake <see cref="TimeProvider"/> drives it deterministically.
/// </summary>
internal sealed class BatchWorker
{
    private readonly ITtsEngine _engine;
    private readonly RequestQueue _queue;
    private readonly BatchingOptions _options;
    private readonly BatchLimits _limits;
    private readonly F5TtsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly int _prepareParallelism;
    private readonly List<SynthesisJob> _pending = []; // read from the queue, in arrival order
    private readonly List<SynthesisJob> _active = []; // in the batch, each with its engine item
    private long _step;

    // The largest batch of the current busy period, and of the last one with when it ended: the fill target an idle
    // worker waits for (WaitForWork).
    private int _busyPeak;
    private int _lastPeak;
    private long _idleSince;
    private long _lastChange; // when the batch last lost members (decode, cancellation, fault)
    private bool _holding; // waiting requests are held for the next cohort (CohortHoldFraction)

    public BatchWorker(ITtsEngine engine, RequestQueue queue, BatchingOptions options, BatchLimits limits, JobLedger ledger, ILogger logger, string name)
    {
        _engine = engine;
        _queue = queue;
        _options = options;
        _limits = limits;
        _metrics = ledger.Metrics;
        _time = ledger.Time;
        _logger = logger;
        _name = name;
        _prepareParallelism = engine.ConcurrentPrepare ? Math.Max(1, options.PrepareParallelism) : 1;
        _lastChange = _time.GetTimestamp();
    }

    /// <summary>Transformer calls made so far.</summary>
    public long StepCount => Interlocked.Read(ref _step);

    /// <summary>Serves until the queue's input ended and every job finished, or <paramref name="stop"/> fires.</summary>
    public void Run(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                if (_active.Count == 0 && _pending.Count == 0)
                {
                    EndBusyPeriod();
                    if (!WaitForWork(stop))
                    {
                        break; // drained
                    }
                }
                else
                {
                    Drain();
                }

                stop.ThrowIfCancellationRequested();
                _pending.RemoveAll(j => !j.IsWaiting); // cancelled while waiting: already completed
                RemoveCancelled();
                if (_holding && _active.Count == 0)
                {
                    // The cohort the waiting requests were held for has finished: give the clients it just served a
                    // moment to come back, then start everyone as one cohort.
                    _holding = false;
                    FillWait(Math.Clamp(_busyPeak, 1, _limits.MaxBatchSize), _options.CohortWaitMilliseconds, _lastChange, stop);
                }

                Admit(stop);
                if (_active.Count > 0)
                {
                    RunOneStep(stop);
                    DecodeFinished(stop);
                }
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
            FailAll(RequestQueue.Stopped(_options));
        }
    }

    private void EndBusyPeriod()
    {
        if (_busyPeak > 0)
        {
            _engine.ReleaseIdleMemory(); // once per busy period: a batch ran since the worker was last idle
        }

        _lastPeak = _busyPeak;
        _busyPeak = 0;
        _idleSince = _lastChange;
        _holding = false;
    }

    /// <summary>
    /// Blocks until a job arrives, then waits (CohortWait or MaxWait from its arrival) for others until the fill target
    /// is pending, so the batch starts as one cohort (<see cref="BatchPolicy.FillTarget"/>). False once drained.
    /// </summary>
    private bool WaitForWork(CancellationToken stop)
    {
        if (!_queue.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
        {
            return false;
        }

        Drain();
        var arrived = _pending.Count > 0 ? _pending[0].EnqueuedTimestamp : _time.GetTimestamp();
        var (target, returning) = BatchPolicy.FillTarget(
            _lastPeak, _time.GetElapsedTime(_idleSince, arrived), _limits.MaxBatchSize, _options.FillTargetWindowMilliseconds);
        FillWait(target, returning ? _options.CohortWaitMilliseconds : _options.MaxWaitMilliseconds, arrived, stop);
        return true;
    }

    /// <summary>
    /// Reads arrivals until <paramref name="target"/> are pending or <paramref name="waitMilliseconds"/> have passed
    /// since <paramref name="anchor"/> — or the first chunk of a stream is pending, which starts the batch at once.
    /// </summary>
    private void FillWait(int target, int waitMilliseconds, long anchor, CancellationToken stop)
    {
        var wait = TimeSpan.FromMilliseconds(waitMilliseconds);
        while (_pending.Count < target && !_pending.Exists(j => j.FirstOfStream))
        {
            var remaining = wait - _time.GetElapsedTime(anchor);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            using var timeout = new CancellationTokenSource(remaining, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            if (_time.GetElapsedTime(anchor) >= wait)
            {
                return; // the clock moved while the timer was being set
            }

            try
            {
                if (!_queue.WaitToReadAsync(linked.Token).AsTask().GetAwaiter().GetResult())
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                return;
            }

            Drain();
        }
    }

    private void Drain()
    {
        while (_queue.TryRead(out var job))
        {
            if (job.IsWaiting)
            {
                _pending.Add(job);
            }
        }
    }

    private void RemoveCancelled()
    {
        var now = _time.GetTimestamp();
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var job = _active[i];
            if (job.CancellationToken.IsCancellationRequested)
            {
                _active.RemoveAt(i);
                _lastChange = now;
                job.Cancel();
            }
        }
    }

    /// <summary>Admits waiting jobs the policy lets in (or holds them for the next cohort) and prepares them.</summary>
    private void Admit(CancellationToken stop)
    {
        if (_pending.Count == 0 || _active.Count >= _limits.MaxBatchSize)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var candidates = _pending.ConvertAll(j => new Candidate(j.Input.TotalFrames, _time.GetElapsedTime(j.EnqueuedTimestamp, now), j.FirstOfStream));
        if (BatchPolicy.HoldsNewcomers(_active.ConvertAll(j => j.Item!), _options.CohortHoldFraction))
        {
            _holding = true; // admitted when the running batch has finished (Run)
            if (!BatchPolicy.AnyFirstOfStream(candidates))
            {
                return;
            }
        }
        else
        {
            _holding = false;
        }

        // While holding, only first chunks of streams join now (never held); the others wait for the next cohort.
        var considered = Enumerable.Range(0, candidates.Count).Where(i => !_holding || candidates[i].FirstOfStream).ToList();
        var chosen = BatchPolicy.SelectAdmissions(
            _active.ConvertAll(j => j.Item!.TotalFrames), considered.ConvertAll(i => candidates[i]), _limits).ConvertAll(k => considered[k]);
        if (chosen.Count == 0)
        {
            return;
        }

        var admitted = new List<SynthesisJob>(chosen.Count);
        var step = StepCount;
        foreach (var index in chosen)
        {
            if (_pending[index].TryStart(step))
            {
                admitted.Add(_pending[index]);
            }
        }

        for (var k = chosen.Count - 1; k >= 0; k--)
        {
            _pending.RemoveAt(chosen[k]); // started, or cancelled meanwhile
        }

        PrepareAdmitted(admitted, stop);
    }

    /// <summary>
    /// Runs Preprocess for the jobs just admitted and adds them to the batch in admission order. With
    /// PrepareParallelism > 1 and an engine that allows concurrent Prepare calls, up to that many run at once (the
    /// worker waits for all): Preprocess is bound by host-side launch work, which threads overlap while the device
    /// runs the kernels of all of them (docs/serving.md "Preparing a cohort").
    /// </summary>
    private void PrepareAdmitted(List<SynthesisJob> admitted, CancellationToken stop)
    {
        var items = new IEngineItem?[admitted.Count];
        var errors = new Exception?[admitted.Count];
        void PrepareOne(int k)
        {
            try
            {
                var started = _time.GetTimestamp();
                items[k] = _engine.Prepare(admitted[k].Input, stop);
                _metrics.RecordStage(PipelineStage.Preprocess, _time.GetElapsedTime(started));
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

        for (var k = 0; k < admitted.Count; k++)
        {
            if (items[k] is { } item)
            {
                admitted[k].Attach(item);
                _active.Add(admitted[k]);
            }
            else if (errors[k] is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // Only this request fails.
                _logger.LogError(errors[k], "Preprocess failed for one request on {Worker}", _name);
                admitted[k].Fail(errors[k]!);
            }
            else
            {
                admitted[k].Fail(RequestQueue.Stopped(_options));
            }
        }

        stop.ThrowIfCancellationRequested();
    }

    private void RunOneStep(CancellationToken stop)
    {
        var items = new IEngineItem[_active.Count];
        var maxFrames = 0;
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = _active[i].Item!;
            maxFrames = Math.Max(maxFrames, items[i].TotalFrames);
            _active[i].MaxBatchSize = Math.Max(_active[i].MaxBatchSize, items.Length);
        }

        _busyPeak = Math.Max(_busyPeak, items.Length);
        var started = _time.GetTimestamp();
        try
        {
            _engine.RunStep(items, stop);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            // An engine fault (e.g. device out of memory) fails only this batch; the worker keeps serving.
            _logger.LogError(ex, "Transformer step failed on {Worker}; failing the {Count} requests of this batch", _name, items.Length);
            _lastChange = _time.GetTimestamp();
            _active.ForEach(job => job.Fail(ex));
            _active.Clear();
            return;
        }

        Interlocked.Increment(ref _step);
        _metrics.RecordStage(PipelineStage.Transformer, _time.GetElapsedTime(started));
        _metrics.RecordBatch(items.Length, (long)maxFrames * items.Length);
    }

    private void DecodeFinished(CancellationToken stop)
    {
        var finished = _active.FindAll(j => j.Item!.IsComplete);
        if (finished.Count == 0)
        {
            return;
        }

        _active.RemoveAll(j => j.Item!.IsComplete);
        var step = StepCount;
        try
        {
            var started = _time.GetTimestamp();
            var audio = _engine.Decode(finished.ConvertAll(j => j.Item!), stop);
            var decoded = _time.GetTimestamp();
            _metrics.RecordStage(PipelineStage.Decode, _time.GetElapsedTime(started, decoded));
            _lastChange = decoded;
            for (var i = 0; i < finished.Count; i++)
            {
                finished[i].Succeed(audio[i], step, decoded);
            }
        }
        catch (Exception ex)
        {
            _lastChange = _time.GetTimestamp();
            var stopped = ex is OperationCanceledException && stop.IsCancellationRequested;
            if (!stopped)
            {
                _logger.LogError(ex, "Decode failed on {Worker}; failing {Count} requests", _name, finished.Count);
            }

            finished.ForEach(job => job.Fail(stopped ? RequestQueue.Stopped(_options) : ex));
            stop.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Worker exit: ends the queue's input and fails every job not finished.</summary>
    private void FailAll(Exception error)
    {
        _queue.Close();
        _pending.ForEach(job => job.Fail(error));
        _active.ForEach(job => job.Fail(error));
        _pending.Clear();
        _active.Clear();
        _queue.FailWaiting(error);
    }
}
