using System.Diagnostics;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Workers;

/// <summary>
/// Wraps one device's engine for its worker: times every engine call (the worker's busy time, from which utilisation
/// and throughput follow) and takes the worker out of service after <c>FaultLimit</c> consecutive failed steps or
/// decodes. Once out, every call fails at once with 503, so the batcher fails that worker's queued and running
/// requests — and only those — while the pool routes new ones elsewhere. Prepare failures do not count: they are
/// usually one request's input. It also knows how long its oldest call in progress has run, so that a call that never
/// returns (a hung device: the thread waits in the driver forever) takes the worker out too (<see cref="CheckStall"/>).
/// </summary>
internal sealed class GuardedEngine : ITtsEngine
{
    private readonly ITtsEngine _inner;
    private readonly bool _ownsInner;
    private readonly int _faultLimit;
    private readonly TimeSpan _retryAfter;
    private readonly TimeProvider _time;
    private readonly Dictionary<long, long> _calls = []; // calls in progress: id → start timestamp (_time)
    private long _nextCall;
    private long _busyTicks;
    private int _consecutiveFaults;
    private long _faults;
    private Exception? _outCause;
    private volatile bool _stalled; // set by the stall watch's timer thread, read by health probes

    public GuardedEngine(ITtsEngine inner, bool ownsInner, int faultLimit, TimeSpan retryAfter, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _inner = inner;
        _ownsInner = ownsInner;
        _faultLimit = faultLimit;
        _retryAfter = retryAfter;
    }

    /// <summary>Raised once, on the thread of the call that took the worker out, with the last fault.</summary>
    public event Action<Exception>? TakenOut;

    public EngineDescription Description => _inner.Description;

    public bool ConcurrentPrepare => _inner.ConcurrentPrepare;

    /// <summary>True once the worker was taken out of service.</summary>
    public bool IsOut => Volatile.Read(ref _outCause) is not null;

    /// <summary>True once a call ran past the stall limit (<see cref="CheckStall"/>): the worker's thread is stuck in it.</summary>
    public bool IsStalled => _stalled;

    /// <summary>Failed steps and decodes since the start.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>Seconds spent inside engine calls since the start.</summary>
    public double BusySeconds => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks)).TotalSeconds;

    public void WarmUp(CancellationToken cancellationToken)
    {
        try
        {
            _inner.WarmUp(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            TakeOut(ex);
            throw;
        }
    }

    public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
    {
        ThrowIfOut();
        var started = Stopwatch.GetTimestamp();
        var call = Enter();
        try
        {
            return _inner.Prepare(input, cancellationToken);
        }
        finally
        {
            Exit(call);
            AddBusy(started);
        }
    }

    public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) =>
        Guard(() => _inner.RunStep(items, cancellationToken), cancellationToken);

    public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
    {
        IReadOnlyList<float[]> audio = [];
        Guard(() => audio = _inner.Decode(items, cancellationToken), cancellationToken);
        return audio;
    }

    public void ReleaseIdleMemory()
    {
        if (!IsOut)
        {
            _inner.ReleaseIdleMemory();
        }
    }

    public void Dispose()
    {
        if (_ownsInner)
        {
            _inner.Dispose();
        }
    }

    private void Guard(Action call, CancellationToken cancellationToken)
    {
        ThrowIfOut();
        var started = Stopwatch.GetTimestamp();
        var id = Enter();
        try
        {
            call();
            Interlocked.Exchange(ref _consecutiveFaults, 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _faults);
            if (Interlocked.Increment(ref _consecutiveFaults) >= _faultLimit)
            {
                TakeOut(ex);
            }

            throw;
        }
        finally
        {
            Exit(id);
            AddBusy(started);
        }
    }

    /// <summary>
    /// Takes the worker out of service when a call has been in progress longer than <paramref name="limit"/>
    /// (<c>F5Tts:Workers:StallSeconds</c>). Its thread cannot be freed (it waits inside native code), so nothing else
    /// is attempted on it; the caller fails what waits for the worker and health reports the hang. True when this check
    /// took it out.
    /// </summary>
    public bool CheckStall(TimeSpan limit)
    {
        if (limit <= TimeSpan.Zero || IsOut)
        {
            return false;
        }

        long oldest;
        lock (_calls)
        {
            if (_calls.Count == 0)
            {
                return false;
            }

            oldest = _calls.Values.Min();
        }

        var running = _time.GetElapsedTime(oldest);
        if (running <= limit)
        {
            return false;
        }

        _stalled = true; // before TakeOut: its TakenOut handlers read it
        TakeOut(new TimeoutException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"An engine call has not returned for {running.TotalSeconds:F0} s (F5Tts:Workers:StallSeconds = {limit.TotalSeconds:F0}): the device is taken as hung.")));
        return true;
    }

    private long Enter()
    {
        var id = Interlocked.Increment(ref _nextCall);
        lock (_calls)
        {
            _calls[id] = _time.GetTimestamp();
        }

        return id;
    }

    private void Exit(long id)
    {
        lock (_calls)
        {
            _calls.Remove(id);
        }
    }

    private void TakeOut(Exception cause)
    {
        if (Interlocked.CompareExchange(ref _outCause, cause, null) is null)
        {
            TakenOut?.Invoke(cause);
        }
    }

    private void ThrowIfOut()
    {
        if (IsOut)
        {
            throw TtsException.NotReady("The device worker serving this request was taken out of service (repeated faults, or a call that never returned).", _retryAfter);
        }
    }

    private void AddBusy(long started) => Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(started).Ticks);
}
