namespace F5Tts.Inference.Dubbing;

/// <summary>Lays pieces of audio on a silent track at given sample positions.</summary>
public static class TrackMixer
{
    /// <summary>
    /// A track of at least <paramref name="minLength"/> samples (longer when a piece runs past it) with every piece
    /// added in at its start. Pieces that overlap (a cue held at the fastest rate runs past its end) are summed and the
    /// sum clipped to [−1, 1], rather than one cutting the other off. Pieces come in order of their start.
    /// </summary>
    public static float[] Place(IReadOnlyList<(long Start, float[] Audio)> pieces, long minLength)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var length = minLength;
        foreach (var (start, audio) in pieces)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(start);
            length = Math.Max(length, start + audio.Length);
        }

        var track = new float[checked((int)length)];
        var overlapped = false;
        var end = 0L;
        foreach (var (start, audio) in pieces)
        {
            var target = track.AsSpan((int)start, audio.Length);
            if (start < end)
            {
                overlapped = true;
                for (var i = 0; i < audio.Length; i++)
                {
                    target[i] += audio[i];
                }
            }
            else
            {
                audio.CopyTo(target);
            }

            end = Math.Max(end, start + audio.Length);
        }

        if (overlapped)
        {
            for (var i = 0; i < track.Length; i++)
            {
                track[i] = Math.Clamp(track[i], -1f, 1f);
            }
        }

        return track;
    }
}
