using System.Diagnostics;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Workers;

/// <summary>
/// Wraps one device's engine for its worker: times every engine call (the worker's busy time, from which utilisation
/// and throughput follow) and takes the worker out of service after <c>FaultLimit</c> consecutive failed steps or
/// decodes. Once out, every call fails at once with 503, so the batcher fails that worker's queued and running
/// requests — and only those — while the pool routes new ones elsewhere. Prepare failures do not count: they are
/// usually one request's input.
/// </summary>
internal sealed class GuardedEngine : ITtsEngine
{
    private readonly ITtsEngine _inner;
    private readonly bool _ownsInner;
    private readonly int _faultLimit;
    private readonly TimeSpan _retryAfter;
    private long _busyTicks;
    private int _consecutiveFaults;
    private long _faults;
    private Exception? _outCause;

    public GuardedEngine(ITtsEngine inner, bool ownsInner, int faultLimit, TimeSpan retryAfter)
    {
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
        try
        {
            return _inner.Prepare(input, cancellationToken);
        }
        finally
        {
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
            AddBusy(started);
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
            throw TtsException.NotReady("The device worker serving this request was taken out of service after repeated faults.", _retryAfter);
        }
    }

    private void AddBusy(long started) => Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(started).Ticks);
}
