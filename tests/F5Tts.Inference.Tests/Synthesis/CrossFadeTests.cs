using F5Tts.Inference.Synthesis;

namespace F5Tts.Inference.Tests.Synthesis;

public sealed class CrossFadeTests
{
    [Fact]
    public void StartOf_places_every_chunk_where_the_join_puts_it()
    {
        // rate 10, 0.3 s → fade 3; a 2-sample chunk limits its own fade to 2 samples.
        float[][] chunks = [[1, 1, 1, 1, 1], [2, 2, 2, 2], [3, 3], [4, 4, 4, 4, 4, 4]];
        var fade = new CrossFade(10, 0.3);
        var joined = new List<float>();
        var end = 0L;
        var starts = new List<long>();
        foreach (var chunk in chunks)
        {
            var start = fade.StartOf(end, chunk.Length);
            starts.Add(start);
            end = start + chunk.Length;
            joined.AddRange(fade.Push(chunk));
        }

        joined.AddRange(fade.Complete());
        Assert.Equal([0L, 2, 4, 3], starts); // the last chunk fades over the 3 samples held: 1 of chunk 2 and both of chunk 3
        Assert.Equal(end, joined.Count);
        Assert.Equal(4f, joined[^1]);
        Assert.Equal(Join(chunks, sampleRate: 10, seconds: 0.3), joined);
    }

    [Fact]
    public void Join_matches_the_upstream_formula_on_a_small_case()
    {
        // rate 10, 0.3 s → n = 3: prev[-3:]·[1, .5, 0] + next[:3]·[0, .5, 1]
        float[] a = [1, 1, 1, 1, 1];
        float[] b = [3, 3, 3, 3];
        var joined = Join([a, b], sampleRate: 10, seconds: 0.3);
        Assert.Equal([1, 1, 1, 2, 3, 3], joined);
    }

    [Fact]
    public void Fade_is_limited_to_the_shorter_chunk()
    {
        float[] a = [2, 2, 2, 2];
        float[] b = [4, 4];
        // n = min(3, 4, 2) = 2: [2,2] ‖ [2·1 + 4·0, 2·0 + 4·1]
        Assert.Equal([2, 2, 2, 4], Join([a, b], sampleRate: 10, seconds: 0.3));
    }

    [Fact]
    public void Streaming_pieces_concatenate_to_the_whole_join()
    {
        var random = new Random(7);
        var chunks = Enumerable.Range(0, 5)
            .Select(i => Enumerable.Range(0, 4_000 + (i * 997)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())
            .ToArray();
        var whole = Join(chunks, 24_000);

        var fade = new CrossFade(24_000);
        var streamed = new List<float>();
        foreach (var chunk in chunks)
        {
            streamed.AddRange(fade.Push(chunk));
        }

        streamed.AddRange(fade.Complete());

        Assert.Equal(whole.Length, streamed.Count);
        Assert.Equal(whole, streamed);
        Assert.Equal(chunks.Sum(c => c.Length) - (4 * 3_600), whole.Length);
    }

    [Fact]
    public void Zero_seconds_concatenates()
    {
        Assert.Equal([1, 2, 3], Join([[1f], [2f, 3f]], 24_000, 0));
    }

    [Fact]
    public void Cross_fade_matches_upstream_formula_with_a_longer_prefix()
    {
        var a = Enumerable.Repeat(1f, 10).ToArray();
        var b = Enumerable.Repeat(3f, 8).ToArray();
        var fade = new CrossFade(sampleRate: 1, seconds: 5);

        var output = fade.Push(a).Concat(fade.Push(b)).Concat(fade.Complete()).ToArray();

        // prefix (5 × 1) ‖ overlap 1·linspace(1,0,5) + 3·linspace(0,1,5) ‖ remainder (3 × 3)
        float[] expected = [1, 1, 1, 1, 1, 1f, 1.5f, 2f, 2.5f, 3f, 3, 3, 3];
        Assert.Equal(expected.Length, output.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], output[i], 5);
        }
    }

    [Fact]
    public void Overlap_is_limited_by_short_chunks_and_nothing_is_lost()
    {
        var fade = new CrossFade(24_000);
        var total = 0;
        foreach (var length in new[] { 1_000, 5_000, 200, 7_000 })
        {
            total += fade.Push(new float[length]).Length;
        }

        total += fade.Complete().Length;
        Assert.Equal(1_000 + 5_000 + 200 + 7_000 - 1_000 - 3_600 - 200, total);
    }

    /// <summary>Whole chunks joined at once: every piece the cross-fade releases, then its tail.</summary>
    private static float[] Join(IReadOnlyList<float[]> chunks, int sampleRate, double seconds = CrossFade.DefaultSeconds)
    {
        var fade = new CrossFade(sampleRate, seconds);
        var joined = new List<float>();
        foreach (var chunk in chunks)
        {
            joined.AddRange(fade.Push(chunk));
        }

        joined.AddRange(fade.Complete());
        return [.. joined];
    }
}
