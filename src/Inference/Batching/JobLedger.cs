using F5Tts.Inference.Metrics;

namespace F5Tts.Inference.Batching;

/// <summary>
/// The one place where the scheduler's counts change: queue slots (the waiting bound, <c>QueueCapacity</c>), requests
/// admitted to a batch, and the queue-depth gauge. Slots are taken when a request is admitted to the queue (one per
/// chunk, all at once) and given back when a chunk starts running, finishes while waiting, or is never submitted.
/// Thread-safe: request threads reserve and release, the worker starts and finishes.
/// </summary>
internal sealed class JobLedger(F5TtsMetrics metrics, TimeProvider time)
{
    private int _slots;
    private int _running;

    public F5TtsMetrics Metrics => metrics;

    public TimeProvider Time => time;

    /// <summary>Queue slots taken: chunks waiting, plus chunks of admitted requests not submitted yet.</summary>
    public int Slots => Volatile.Read(ref _slots);

    /// <summary>Chunks admitted to a batch: being prepared or riding in it.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Takes <paramref name="count"/> slots if that keeps within <paramref name="capacity"/>; false leaves them untouched.</summary>
    public bool TryReserve(int count, int capacity)
    {
        while (true)
        {
            var taken = Volatile.Read(ref _slots);
            if (taken + count > capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _slots, taken + count, taken) == taken)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back slots reserved for chunks that will not be submitted.</summary>
    public void Release(int count) => Interlocked.Add(ref _slots, -count);

    /// <summary>A reserved slot now holds a queued job.</summary>
    public void Queued() => metrics.QueueEntered();

    /// <summary>A queued job joined a batch: its slot is free, it counts as running, and its queue wait is recorded.</summary>
    public void Started(TimeSpan queueWait)
    {
        Interlocked.Decrement(ref _slots);
        Interlocked.Increment(ref _running);
        metrics.QueueLeft();
        metrics.RecordQueueWait(queueWait);
    }

    /// <summary>A queued job finished without running (cancelled, failed, stopped).</summary>
    public void LeftWaiting()
    {
        Interlocked.Decrement(ref _slots);
        metrics.QueueLeft();
    }

    /// <summary>A running job finished (succeeded, failed or cancelled).</summary>
    public void LeftRunning() => Interlocked.Decrement(ref _running);
}
