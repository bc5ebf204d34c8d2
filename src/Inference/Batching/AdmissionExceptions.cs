namespace F5Tts.Inference.Batching;

/// <summary>The admission queue is at capacity (HTTP 429 with Retry-After).</summary>
public sealed class QueueFullException(int capacity, int retryAfterSeconds)
    : Exception($"The synthesis queue is full ({capacity} requests waiting); retry later.")
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}

/// <summary>The engine is not ready or the service is shutting down (HTTP 503 with Retry-After).</summary>
public sealed class ServiceUnavailableException(string message, int retryAfterSeconds) : Exception(message)
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
