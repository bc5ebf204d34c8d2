using System.Threading.Channels;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Batching;

/// <summary>
/// The request side of the batcher: admission of requests (all of a request's chunks at once, within
/// <see cref="BatchingOptions.QueueCapacity"/>), the hand-off of their chunks to the worker, cancellation while waiting
/// and the drain. The worker only reads from it (<see cref="TryRead"/>, <see cref="WaitToReadAsync"/>).
/// </summary>
internal sealed class RequestQueue
{
    private readonly BatchingOptions _options;
    private readonly JobLedger _ledger;

    // Only a hand-off to the worker: the admission bound is the ledger's slot count, so that a request cancelled while
    // waiting frees its slot at once rather than when the worker reads it.
    private readonly Channel<SynthesisJob> _channel = Channel.CreateUnbounded<SynthesisJob>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private int _open; // admissions that may still submit chunks
    private int _accepting = 1;

    public RequestQueue(BatchingOptions options, JobLedger ledger)
    {
        _options = options;
        _ledger = ledger;
    }

    /// <summary>False once the drain began: new requests are refused with 503.</summary>
    public bool IsAccepting => Volatile.Read(ref _accepting) == 1;

    /// <summary>
    /// Admits a request of <paramref name="chunks"/> chunks as one unit: it takes a queue slot for every chunk now, or is
    /// refused — 413 when it needs more slots than exist (it could never be queued), 429 when they are taken, 503 once
    /// the drain began. Its chunks may then be submitted at any time, also while the service drains.
    /// </summary>
    public RequestAdmission Admit(int chunks, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunks);
        if (chunks > _options.QueueCapacity)
        {
            throw TtsException.PayloadTooLarge(
                $"The text needs {chunks} chunks, more than the {_options.QueueCapacity} that can ever be queued " +
                "(F5Tts:Batching:QueueCapacity); send it in shorter requests.",
                "text");
        }

        // Counted open before the check, so that the drain either sees this admission or this admission sees the drain.
        Interlocked.Increment(ref _open);
        if (!IsAccepting)
        {
            EndAdmission();
            throw ShuttingDown();
        }

        if (!_ledger.TryReserve(chunks, _options.QueueCapacity))
        {
            EndAdmission();
            throw TtsException.QueueFull(TimeSpan.FromSeconds(_options.RetryAfterSeconds));
        }

        return new RequestAdmission(this, chunks, cancellationToken);
    }

    /// <summary>Stops admitting; the worker's input ends once every open admission has submitted or given up.</summary>
    public void BeginDrain()
    {
        Interlocked.Exchange(ref _accepting, 0);
        if (Volatile.Read(ref _open) == 0)
        {
            _channel.Writer.TryComplete();
        }
    }

    /// <summary>Ends the worker's input now (forced stop): chunks submitted later fail as not ready.</summary>
    public void Close() => _channel.Writer.TryComplete();

    public bool TryRead(out SynthesisJob job) => _channel.Reader.TryRead(out job!);

    /// <summary>Waits until a job can be read; false once the input ended and is empty.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Queues one chunk into a reserved slot (<see cref="RequestAdmission.Submit"/>).</summary>
    internal Task<SynthesisOutcome> Enqueue(EngineInput input, CancellationToken cancellationToken, bool firstOfStream = false)
    {
        var job = new SynthesisJob(input, _ledger, cancellationToken) { FirstOfStream = firstOfStream };
        _ledger.Queued();
        job.WatchCancellation();
        if (!_channel.Writer.TryWrite(job))
        {
            job.Fail(Stopped(_options));
        }

        return job.Task;
    }

    /// <summary>An admission will submit no more chunks: gives back its unused slots and lets the drain end.</summary>
    internal void Closed(int unusedSlots)
    {
        if (unusedSlots > 0)
        {
            _ledger.Release(unusedSlots);
        }

        EndAdmission();
    }

    /// <summary>Fails every job still in the hand-off (worker exit, after <see cref="Close"/>).</summary>
    public void FailWaiting(Exception error)
    {
        while (_channel.Reader.TryRead(out var job))
        {
            job.Fail(error);
        }
    }

    private void EndAdmission()
    {
        if (Interlocked.Decrement(ref _open) == 0 && !IsAccepting)
        {
            _channel.Writer.TryComplete();
        }
    }

    internal static TtsException Stopped(BatchingOptions options) =>
        TtsException.NotReady("The service stopped before the request finished.", TimeSpan.FromSeconds(options.RetryAfterSeconds));

    private TtsException ShuttingDown() =>
        TtsException.NotReady("The service is shutting down.", TimeSpan.FromSeconds(_options.RetryAfterSeconds));
}
