using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

public sealed class GoldenTests
{
    [Fact]
    public void Tokenizer_reproduces_every_golden_line()
    {
        var tokenizer = new F5Tokenizer(new JiebaSegmenter(), new PinyinConverter());
        var vocab = Vocabulary.Load(TestData.VocabPath);
        var failures = new List<string>();
        var golden = TestData.Golden();
        foreach (var g in golden)
        {
            var tokens = new List<string>();
            tokenizer.Convert(g.Text, null, tokens, new List<int>());
            var ids = tokens.Select(vocab.GetId).ToArray();
            if (!ids.SequenceEqual(g.Ids))
            {
                failures.Add($"{g.Text}\n  expected: {string.Join('|', g.Tokens)}\n  actual:   {string.Join('|', tokens)}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count}/{golden.Count} mismatches:\n{string.Join('\n', failures)}");
    }
}
