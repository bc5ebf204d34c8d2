using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

/// <summary>The front-end against the Python reference (tests/data/frontend-golden.jsonl, 305 texts).</summary>
public sealed class GoldenTests(FrontEndFixture fixture)
{
    [Fact]
    public void Every_golden_line_gives_the_exact_upstream_ids_and_tokens()
    {
        var golden = TestData.Golden();
        Assert.Equal(305, golden.Count);
        var failures = new List<string>();
        foreach (var g in golden)
        {
            var result = fixture.Official.Tokenize(g.Text, referenceText: null, normalize: false);
            if (!result.Ids.SequenceEqual(g.Ids) || !result.Tokens.SequenceEqual(g.Tokens))
            {
                failures.Add($"{g.Text}\n  expected: {string.Join('|', g.Tokens)}\n  actual:   {string.Join('|', result.Tokens)}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count}/{golden.Count} mismatches:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public void Normalisation_on_changes_nothing_in_golden_lines_without_digits_or_currency()
    {
        var checkedLines = 0;
        foreach (var g in TestData.Golden())
        {
            if (g.Text.Any(c => char.IsAsciiDigit(c) || "$¥￥€£".Contains(c)))
            {
                continue;
            }

            checkedLines++;
            Assert.Equal(g.Ids, fixture.Official.Tokenize(g.Text, normalize: true).Ids);
        }

        Assert.True(checkedLines > 200, $"only {checkedLines} lines without digits");
    }

    [Fact]
    public void Triple_hao_takes_pythons_tie_break()
    {
        // Python jieba: max((logp, end)) keeps the larger end index on equal scores: 好好|好 (jieba.NET: 好|好好).
        var segmenter = new JiebaSegmenter();
        var segments = segmenter.Cut("好好好").Select(s => "好好好".Substring(s.Start, s.Length));
        Assert.Equal(["好好", "好"], segments);
        // 好好 (a pypinyin phrase, hao3 hao3): two third tones at the end of a word, the first becomes 2.
        Assert.Equal([" ", "hao2", " ", "hao3", " ", "hao3"], fixture.Official.Tokenize("好好好", normalize: false).Tokens);
    }

    [Fact]
    public void Worked_example_of_the_reference_matches()
    {
        var r = fixture.Official.Tokenize("对，这就是我，万人敬仰的太乙真人。", normalize: false);
        Assert.Equal([0, 317, 2541, 0, 1341, 0, 546, 0, 1030, 0, 1178, 2541, 0, 1161, 0, 953, 0, 541, 0, 1248, 0, 272, 0, 1089, 0, 1261, 0, 1342, 0, 953, 1895], r.Ids);
    }

    [Fact]
    public void Segments_cover_the_text_in_order_for_mixed_scripts()
    {
        const string text = "Hello 世界!\r\n24.67% 的 𠀀 emoji 😀 T恤 好好好 a+b--c";
        var segments = new JiebaSegmenter().Cut(text);
        var pos = 0;
        foreach (var s in segments)
        {
            Assert.Equal(pos, s.Start);
            Assert.True(s.Length > 0);
            pos = s.End;
        }

        Assert.Equal(text.Length, pos);
        Assert.Contains(segments, s => text.Substring(s.Start, s.Length) == "24.67%");
        Assert.Contains(segments, s => text.Substring(s.Start, s.Length) == "\r\n");
    }
}

/// <summary>The singleton is shared by request threads: concurrent use must give the sequential results.</summary>
public sealed class ConcurrencyTests(FrontEndFixture fixture)
{
    [Fact]
    public void Concurrent_tokenisation_gives_the_golden_ids()
    {
        var golden = TestData.Golden();
        var mismatches = 0;
        Parallel.For(0, golden.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var g = golden[i % golden.Count];
            if (!fixture.Official.Tokenize(g.Text, normalize: i % 2 == 0 && !g.Text.Any(char.IsAsciiDigit)).Ids.SequenceEqual(g.Ids))
            {
                Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }
}
