namespace F5Tts.Engines.F5;

/// <summary>
/// Static shape buckets of the batched Transformer call (docs/engine.md "CUDA graphs and shape buckets"). A batch of
/// b items whose longest has n frames runs at (<see cref="Batch"/>(b), <see cref="Frames"/>(n)), so a serving mix
/// touches only a few shapes: each can be captured once as a CUDA graph.
/// </summary>
internal static class ShapeBuckets
{
    /// <summary>
    /// Batch bucket: the smallest power of two ≥ <paramref name="batch"/>, capped at <paramref name="maxBatch"/> (a
    /// non-power-of-two <paramref name="maxBatch"/> is then the last bucket: 1, 2, 4, 8, 12 for 12).
    /// </summary>
    public static int Batch(int batch, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, maxBatch);
        var bucket = 1;
        while (bucket < batch)
        {
            bucket <<= 1;
        }

        return Math.Min(bucket, maxBatch);
    }

    /// <summary>
    /// Frame bucket: <paramref name="frames"/> rounded up to a multiple of <paramref name="frameBucket"/>, capped at
    /// <paramref name="maxFrames"/> (the model's <c>f5tts.max_frames</c>).
    /// </summary>
    public static int Frames(int frames, int frameBucket, int maxFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameBucket, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frames, maxFrames);
        var rounded = ((long)frames + frameBucket - 1) / frameBucket * frameBucket;
        return (int)Math.Min(rounded, maxFrames);
    }
}
