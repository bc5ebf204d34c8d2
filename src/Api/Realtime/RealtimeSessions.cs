using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Realtime;

/// <summary>Counts the open real-time sessions against F5Tts:Realtime:MaxSessions.</summary>
internal sealed class RealtimeSessions(IOptions<RealtimeOptions> options)
{
    private int _open;

    /// <summary>Open sessions.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Takes a session slot; null when all are taken. Dispose the slot when the session ends.</summary>
    public IDisposable? TryEnter()
    {
        if (Interlocked.Increment(ref _open) > options.Value.MaxSessions)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        return new Slot(this);
    }

    private sealed class Slot(RealtimeSessions owner) : IDisposable
    {
        private RealtimeSessions? _owner = owner;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _owner, null) is { } o)
            {
                Interlocked.Decrement(ref o._open);
            }
        }
    }
}
