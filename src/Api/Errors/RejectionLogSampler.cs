using System.Collections.Concurrent;

namespace F5Tts.Api.Errors;

/// <summary>
/// Keeps a flood of refusals from flooding the log: per cause (a problem type, a status) at most one line per second
/// is let through, and that line carries how many of the same cause were held back since the previous one. Only the
/// log is sampled; every refusal is still answered, counted in the metrics and visible in the request counters.
/// </summary>
public sealed class RejectionLogSampler(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, Cause> _causes = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a line for <paramref name="cause"/> may be written now; <paramref name="suppressed"/> is then the
    /// number of occurrences held back since the last written one (0 when none).
    /// </summary>
    public bool ShouldLog(string cause, out long suppressed)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var entry = _causes.GetOrAdd(cause, _ => new Cause());
        long now = time.GetTimestamp();
        lock (entry)
        {
            if (entry.Logged && time.GetElapsedTime(entry.LastLogged, now) < Window)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.LastLogged = now;
            entry.Logged = true;
            return true;
        }
    }

    private sealed class Cause
    {
        public bool Logged { get; set; }

        public long LastLogged { get; set; }

        public long Suppressed { get; set; }
    }
}
