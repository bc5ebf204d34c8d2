namespace F5Tts.Inference.Synthesis;

/// <summary>
/// Joins the audio of consecutive text chunks as upstream F5-TTS does (docs/audio.md, "Chunk joining"): the last
/// n samples of what came before fade out linearly 1→0 while the first n samples of the next chunk fade in 0→1,
/// and the two are summed; n = 0.15 s limited to both lengths. Streaming uses the same arithmetic incrementally,
/// holding back the last n samples of each chunk until the next one arrives, so the streamed concatenation equals
/// the non-streamed result.
/// </summary>
public sealed class CrossFade
{
    /// <summary>Upstream <c>cross_fade_duration</c>.</summary>
    public const double DefaultSeconds = 0.15;

    private readonly int _fadeSamples;
    private float[] _tail = [];
    private bool _started;

    /// <param name="sampleRate">Sample rate of the audio being joined.</param>
    /// <param name="seconds">Cross-fade length; 0 or less concatenates.</param>
    public CrossFade(int sampleRate, double seconds = DefaultSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        _fadeSamples = seconds <= 0 ? 0 : (int)(seconds * sampleRate);
    }

    /// <summary>Samples held back as the next fade's overlap (returned by the next <see cref="Push"/> or <see cref="Complete"/>).</summary>
    public int HeldSamples => _tail.Length;

    /// <summary>Samples of each fade (0: plain concatenation).</summary>
    public int FadeSamples => _fadeSamples;

    /// <summary>
    /// Where the next chunk of <paramref name="length"/> samples starts in the joined audio, given the
    /// <paramref name="joined"/> samples joined before it (0 for the first chunk): it overlaps the fade's length.
    /// </summary>
    public long StartOf(long joined, int length) =>
        joined == 0 ? 0 : joined - Math.Min(_fadeSamples, Math.Min(Math.Min(_fadeSamples, joined), length));

    /// <summary>
    /// Adds the next chunk and returns the samples that are final now. The last samples of the chunk are held back
    /// as the next fade's overlap; <see cref="Complete"/> returns them.
    /// </summary>
    public float[] Push(ReadOnlySpan<float> chunk)
    {
        float[] joined;
        if (!_started)
        {
            _started = true;
            joined = chunk.ToArray();
        }
        else
        {
            // Upstream: n = min(fade, len(prev), len(next)); prev here is what was held back (≤ fade samples).
            var n = Math.Min(_fadeSamples, Math.Min(_tail.Length, chunk.Length));
            var keep = _tail.Length - n;
            joined = new float[keep + chunk.Length];
            _tail.AsSpan(0, keep).CopyTo(joined);
            for (var i = 0; i < n; i++)
            {
                // np.linspace(1, 0, n) and np.linspace(0, 1, n): endpoints included.
                var fadeIn = n == 1 ? 0f : (float)i / (n - 1);
                var fadeOut = n == 1 ? 1f : 1f - fadeIn;
                joined[keep + i] = (_tail[keep + i] * fadeOut) + (chunk[i] * fadeIn);
            }

            chunk[n..].CopyTo(joined.AsSpan(keep + n));
        }

        var hold = Math.Min(_fadeSamples, joined.Length);
        _tail = joined[^hold..];
        return joined[..^hold];
    }

    /// <summary>Returns the held-back tail once no more chunks will come.</summary>
    public float[] Complete()
    {
        var tail = _tail;
        _tail = [];
        return tail;
    }
}
