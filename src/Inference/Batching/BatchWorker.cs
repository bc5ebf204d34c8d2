using F5Tts.Inference.Engine;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging;

namespace F5Tts.Inference.Batching;

/// <summary>
/// The loop of one engine's worker thread, which alone calls the engine: at every Transformer step boundary it drops
/// cancelled jobs, admits waiting ones (<see cref="BatchPolicy"/>), prepares them, runs one step over the batch and
/// decodes the jobs that finished (<see cref="BatchStages"/>). While a batch runs, the first chunks of new streams run
/// in a lane of their own, to the end, between two of its steps (<see cref="BatchingOptions.FirstChunkLane"/>). Jobs
/// complete themselves (<see cref="SynthesisJob"/>); the worker only decides when.
/// Every deadline it waits for is anchored to a timestamp taken before the event that a caller can observe (a job's
/// submission, the decode that ended a batch), so a fake <see cref="TimeProvider"/> drives it deterministically.
/// </summary>
internal sealed class BatchWorker
{
    private readonly ITtsEngine _engine;
    private readonly RequestQueue _queue;
    private readonly BatchingOptions _options;
    private BatchLimits _limits; // replaced only before Run (LimitBatchSize)
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly BatchStages _stages;
    private readonly List<SynthesisJob> _pending = []; // read from the queue, in arrival order
    private readonly List<SynthesisJob> _active = []; // in the batch, each with its engine item
    private readonly List<SynthesisJob> _lane = []; // the first-chunk lane (FirstChunkLane), each with its engine item
    private long _step;
    private int _laneStreak; // lane steps since the running batch last took one
    private bool _ranSinceIdle;

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
        _time = ledger.Time;
        _logger = logger;
        _name = name;
        _stages = new BatchStages(engine, options, ledger, logger, name);
        _lastChange = _time.GetTimestamp();
    }

    /// <summary>Transformer calls made so far.</summary>
    public long StepCount => Interlocked.Read(ref _step);

    /// <summary>Most items in one Transformer call.</summary>
    public int MaxBatchSize => _limits.MaxBatchSize;

    /// <summary>Lowers the batch limit to <paramref name="size"/> (the picked batch size); only before <see cref="Run"/>.</summary>
    public void LimitBatchSize(int size) =>
        _limits = _limits with { MaxBatchSize = Math.Clamp(size, 1, _limits.MaxBatchSize) };

    /// <summary>Serves until the queue's input ended and every job finished, or <paramref name="stop"/> fires.</summary>
    public void Run(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                if (_active.Count == 0 && _lane.Count == 0 && _pending.Count == 0)
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
                RemoveCancelled(_active);
                RemoveCancelled(_lane);
                if (_holding && _active.Count == 0 && _lane.Count == 0)
                {
                    // The cohort the waiting requests were held for has finished: give the clients it just served a
                    // moment to come back, then start everyone as one cohort.
                    _holding = false;
                    FillWait(Math.Clamp(_busyPeak, 1, _limits.MaxBatchSize), _options.CohortWaitMilliseconds, _lastChange, stop);
                }

                Admit(stop);
                AdmitToLane(stop);
                RunOneStep(stop);
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
        if (_ranSinceIdle)
        {
            _engine.ReleaseIdleMemory(); // once per busy period: a batch ran since the worker was last idle
        }

        _ranSinceIdle = false;
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

    private void RemoveCancelled(List<SynthesisJob> batch)
    {
        var now = _time.GetTimestamp();
        for (var i = batch.Count - 1; i >= 0; i--)
        {
            var job = batch[i];
            if (job.CancellationToken.IsCancellationRequested)
            {
                batch.RemoveAt(i);
                _lastChange = now;
                job.Cancel();
            }
        }
    }

    /// <summary>
    /// Admits waiting jobs the policy lets in (or holds them for the next cohort) and prepares them. While the lane is
    /// open, first chunks of streams are left to <see cref="AdmitToLane"/>; an idle batch they start like anyone else.
    /// </summary>
    private void Admit(CancellationToken stop)
    {
        if (_pending.Count == 0 || _active.Count >= _limits.MaxBatchSize)
        {
            return;
        }

        var laneTakesFirstChunks = LaneOpen;
        var candidates = Candidates();
        if (BatchPolicy.HoldsNewcomers(_active.ConvertAll(j => j.Item!), _options.CohortHoldFraction))
        {
            _holding = true; // admitted when the running batch has finished (Run)
            if (laneTakesFirstChunks || !BatchPolicy.AnyFirstOfStream(candidates))
            {
                return;
            }
        }
        else
        {
            _holding = false;
        }

        // While holding, only first chunks of streams join now (never held); the others wait for the next cohort.
        var considered = Enumerable.Range(0, candidates.Count)
            .Where(i => candidates[i].FirstOfStream ? !laneTakesFirstChunks : !_holding).ToList();
        Start(BatchPolicy.SelectAdmissions(
            _active.ConvertAll(j => j.Item!.TotalFrames), considered.ConvertAll(i => candidates[i]), _limits).ConvertAll(k => considered[k]), _active, stop);
    }

    /// <summary>
    /// Starts waiting first chunks of streams in the first-chunk lane while a batch runs (<see cref="BatchingOptions.FirstChunkLane"/>):
    /// they join the lane's batch at the next step whatever their length, within MaxBatchSize and MaxBatchFrames.
    /// </summary>
    private void AdmitToLane(CancellationToken stop)
    {
        if (!LaneOpen || _pending.Count == 0 || _lane.Count >= _limits.MaxBatchSize)
        {
            return;
        }

        // Built anew rather than handed on from Admit: its Start may have removed jobs from _pending, and the
        // chosen positions must index _pending as it is now.
        var candidates = Candidates();
        var firsts = Enumerable.Range(0, candidates.Count).Where(i => candidates[i].FirstOfStream).ToList();
        if (firsts.Count > 0)
        {
            Start(BatchPolicy.SelectAdmissions(
                _lane.ConvertAll(j => j.Item!.TotalFrames), firsts.ConvertAll(i => candidates[i]), _limits).ConvertAll(k => firsts[k]), _lane, stop);
        }
    }

    /// <summary>True when first chunks go to the lane: it is on and a batch is running (or the lane itself is).</summary>
    private bool LaneOpen => _options.FirstChunkLane && (_active.Count > 0 || _lane.Count > 0);

    private List<Candidate> Candidates()
    {
        var now = _time.GetTimestamp();
        return _pending.ConvertAll(j => new Candidate(j.Input.TotalFrames, _time.GetElapsedTime(j.EnqueuedTimestamp, now), j.FirstOfStream));
    }

    /// <summary>Starts the pending jobs at <paramref name="chosen"/> (ascending) and prepares them into <paramref name="batch"/>.</summary>
    private void Start(List<int> chosen, List<SynthesisJob> batch, CancellationToken stop)
    {
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

        _stages.Prepare(admitted, batch, stop);
    }

    /// <summary>
    /// One Transformer step of the lane or of the running batch, then Decode of the jobs it finished. The lane goes
    /// first, but the running batch waits at most one lane run in a row (as many lane steps as its items take) before
    /// it takes a step, so a stream of new listeners slows it without stopping it.
    /// </summary>
    private void RunOneStep(CancellationToken stop)
    {
        var inLane = _lane.Count > 0 && (_active.Count == 0 || _laneStreak < _lane.Max(j => j.Item!.StepsTotal));
        var batch = inLane ? _lane : _active;
        if (batch.Count == 0)
        {
            return;
        }

        _ranSinceIdle = true;
        if (!inLane)
        {
            _busyPeak = Math.Max(_busyPeak, batch.Count); // the fill target follows the running batch, not the lane
        }

        if (!_stages.Step(batch, inLane, stop))
        {
            _lastChange = _time.GetTimestamp(); // the batch failed and is empty
            return;
        }

        Interlocked.Increment(ref _step);
        _laneStreak = inLane ? _laneStreak + 1 : 0;
        if (_stages.DecodeFinished(batch, StepCount, stop) is { } decoded)
        {
            _lastChange = decoded;
        }
    }

    /// <summary>Worker exit: ends the queue's input and fails every job not finished.</summary>
    private void FailAll(Exception error)
    {
        _queue.Close();
        _pending.ForEach(job => job.Fail(error));
        _active.ForEach(job => job.Fail(error));
        _lane.ForEach(job => job.Fail(error));
        _pending.Clear();
        _active.Clear();
        _lane.Clear();
        _queue.FailWaiting(error);
    }
}
