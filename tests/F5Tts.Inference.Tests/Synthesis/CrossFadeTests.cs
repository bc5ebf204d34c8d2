using F5Tts.Inference.Synthesis;

namespace F5Tts.Inference.Tests.Synthesis;

public sealed class CrossFadeTests
{
    [Fact]
    public void Join_matches_the_upstream_formula_on_a_small_case()
    {
        // rate 10, 0.3 s → n = 3: prev[-3:]·[1, .5, 0] + next[:3]·[0, .5, 1]
        float[] a = [1, 1, 1, 1, 1];
        float[] b = [3, 3, 3, 3];
        var joined = CrossFade.Join([a, b], sampleRate: 10, seconds: 0.3);
        Assert.Equal([1, 1, 1, 2, 3, 3], joined);
    }

    [Fact]
    public void Fade_is_limited_to_the_shorter_chunk()
    {
        float[] a = [2, 2, 2, 2];
        float[] b = [4, 4];
        // n = min(3, 4, 2) = 2: [2,2] ‖ [2·1 + 4·0, 2·0 + 4·1]
        Assert.Equal([2, 2, 2, 4], CrossFade.Join([a, b], sampleRate: 10, seconds: 0.3));
    }

    [Fact]
    public void Streaming_pieces_concatenate_to_the_whole_join()
    {
        var random = new Random(7);
        var chunks = Enumerable.Range(0, 5)
            .Select(i => Enumerable.Range(0, 4_000 + (i * 997)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())
            .ToArray();
        var whole = CrossFade.Join(chunks, 24_000);

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
        Assert.Equal([1, 2, 3], CrossFade.Join([[1f], [2f, 3f]], 24_000, 0));
    }
}
