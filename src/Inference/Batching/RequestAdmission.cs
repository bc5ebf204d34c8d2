using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Batching;

/// <summary>
/// A request admitted to the queue with a slot reserved for each of its chunks (<see cref="BatchScheduler.Admit"/>).
/// Its chunks are submitted when the request wants them to start — a streamed response submits the first chunk alone
/// and the rest once it is done — and are accepted even after the drain began, so a request admitted before shutdown
/// runs to its end. It closes itself when its last chunk is submitted; disposing it earlier (an error, a client gone)
/// gives back the slots of the chunks never submitted. Not thread-safe: one request submits its chunks in order.
/// </summary>
internal sealed class RequestAdmission : IDisposable
{
    private readonly RequestQueue _queue;
    private readonly CancellationToken _cancellationToken;
    private int _remaining;

    internal RequestAdmission(RequestQueue queue, int chunks, CancellationToken cancellationToken)
    {
        _queue = queue;
        _remaining = chunks;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Chunks that may still be submitted.</summary>
    public int Remaining => _remaining;

    /// <summary>
    /// Queues the next chunk; the task completes with its audio. Cancellation of the admission's token (client abort or
    /// deadline) removes it from the queue at once, or from its batch at the next step boundary. After a forced stop
    /// the task fails as not ready (503). <paramref name="firstOfStream"/> marks the first chunk of a streamed response:
    /// the worker lets it join the running batch at the next step, past the cohort hold and the fill wait
    /// (docs/serving.md "First chunk of a stream").
    /// </summary>
    public Task<SynthesisOutcome> Submit(EngineInput input, bool firstOfStream = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_remaining <= 0)
        {
            throw new InvalidOperationException("Every chunk of this admission was submitted already (or it was disposed).");
        }

        var task = _queue.Enqueue(input, _cancellationToken, firstOfStream);
        if (--_remaining == 0)
        {
            _queue.Closed(0);
        }

        return task;
    }

    public void Dispose()
    {
        if (_remaining > 0)
        {
            var unused = _remaining;
            _remaining = 0;
            _queue.Closed(unused);
        }
    }
}
