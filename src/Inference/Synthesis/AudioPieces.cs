namespace F5Tts.Inference.Synthesis;

/// <summary>Joins PCM pieces end to end (the cross-fade's output, a streamed response gathered into one body).</summary>
internal static class AudioPieces
{
    public static float[] Concat(IReadOnlyList<float[]> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var total = 0L;
        foreach (var piece in pieces)
        {
            total += piece.Length;
        }

        var result = new float[checked((int)total)];
        var offset = 0;
        foreach (var piece in pieces)
        {
            piece.CopyTo(result, offset);
            offset += piece.Length;
        }

        return result;
    }
}
