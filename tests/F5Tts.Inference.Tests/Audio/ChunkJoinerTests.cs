using F5Tts.Inference.Audio;

namespace F5Tts.Inference.Tests.Audio;

public sealed class ChunkJoinerTests
{
    [Fact]
    public void Cross_fade_matches_upstream_formula()
    {
        var a = Enumerable.Repeat(1f, 10).ToArray();
        var b = Enumerable.Repeat(3f, 8).ToArray();
        var joiner = new ChunkJoiner(crossFadeSamples: 5);

        var output = joiner.Add(a).Concat(joiner.Add(b)).Concat(joiner.Complete()).ToArray();

        // prefix (5 × 1) ‖ overlap 1·linspace(1,0,5) + 3·linspace(0,1,5) ‖ remainder (3 × 3)
        float[] expected = [1, 1, 1, 1, 1, 1f, 1.5f, 2f, 2.5f, 3f, 3, 3, 3];
        Assert.Equal(expected.Length, output.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], output[i], 5);
        }
    }

    [Fact]
    public void Overlap_is_limited_by_short_chunks_and_nothing_is_lost()
    {
        var joiner = new ChunkJoiner(crossFadeSamples: 3_600);
        int total = 0;
        foreach (int len in new[] { 1_000, 5_000, 200, 7_000 })
        {
            total += joiner.Add(new float[len]).Length;
        }

        total += joiner.Complete().Length;
        Assert.Equal(1_000 + 5_000 + 200 + 7_000 - 1_000 - 3_600 - 200, total);
    }

    [Fact]
    public void Zero_cross_fade_is_plain_concatenation()
    {
        var joiner = new ChunkJoiner(0);
        var output = joiner.Add([1f, 2f]).Concat(joiner.Add([3f])).Concat(joiner.Complete()).ToArray();
        Assert.Equal([1f, 2f, 3f], output);
    }
}
