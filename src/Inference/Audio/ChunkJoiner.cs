namespace F5Tts.Inference.Audio;

/// <summary>
/// Joins consecutively generated chunks of one utterance with upstream's linear cross-fade (reference §7.4:
/// 0.15 s at 24 kHz = 3600 samples, shortened to the length of either side): the tail of the audio so far fades
/// 1→0 while the head of the next chunk fades 0→1, and the two are summed. Streaming-friendly: each
/// <see cref="Add"/> returns what can be sent now and holds back only the tail that the next chunk will overlap;
/// <see cref="Complete"/> releases it. Not thread-safe.
/// </summary>
public sealed class ChunkJoiner
{
    private readonly int _overlap;
    private float[] _held = [];
    private bool _any;

    /// <param name="crossFadeSamples">Overlap length; 0 or less means plain concatenation (upstream's rule).</param>
    public ChunkJoiner(int crossFadeSamples = 3_600)
    {
        _overlap = Math.Max(0, crossFadeSamples);
    }

    /// <summary>Adds the next chunk; returns the samples that are final.</summary>
    public float[] Add(ReadOnlySpan<float> chunk)
    {
        float[] joined;
        if (!_any || _overlap == 0)
        {
            joined = [.. _held, .. chunk];
        }
        else
        {
            // Upstream: n = min(cross_fade, len(prev), len(next)); linspace(1, 0, n) and linspace(0, 1, n).
            int n = Math.Min(_overlap, Math.Min(_held.Length, chunk.Length));
            int prefix = _held.Length - n;
            joined = new float[_held.Length + chunk.Length - n];
            Array.Copy(_held, joined, prefix);
            for (int i = 0; i < n; i++)
            {
                float fadeIn = n == 1 ? 0f : (float)i / (n - 1);
                joined[prefix + i] = (_held[prefix + i] * (1f - fadeIn)) + (chunk[i] * fadeIn);
            }

            chunk[n..].CopyTo(joined.AsSpan(prefix + n));
        }

        _any = true;
        int keep = Math.Min(_overlap, joined.Length);
        _held = joined[^keep..];
        return joined[..^keep];
    }

    /// <summary>Returns the held-back tail; call once after the last chunk.</summary>
    public float[] Complete()
    {
        var tail = _held;
        _held = [];
        return tail;
    }
}
