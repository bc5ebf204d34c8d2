using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

public sealed class VocabularyTests
{
    [Fact]
    public void Crlf_and_lf_files_give_the_same_ids()
    {
        var lf = File.ReadAllText(TestData.VocabPath);
        Assert.DoesNotContain('\r', lf);
        var crlf = lf.Replace("\n", "\r\n", StringComparison.Ordinal);
        var a = Vocabulary.Parse(lf);
        var b = Vocabulary.Parse(crlf);
        Assert.Equal(2545, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i], b[i]);
        }

        Assert.Equal(0, b.GetId(" "));
        Assert.Equal(1030, b.GetId("shi4"));
        Assert.Equal(2542, b.GetId("？"));
        Assert.Equal(14, b.GetId("."));
    }

    [Fact]
    public void Unknown_tokens_map_to_zero_like_a_space()
    {
        var v = Vocabulary.Load(TestData.VocabPath);
        Assert.Equal(0, v.GetId("；"));
        Assert.Equal(0, v.GetId("ge"));
        Assert.Equal(0, v.GetId("<"));
        Assert.False(v.Contains("ge"));
    }

    [Fact]
    public void A_vocabulary_whose_first_token_is_not_a_space_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => Vocabulary.Parse("a\n \n"));
        Assert.Throws<InvalidDataException>(() => Vocabulary.Parse(string.Empty));
    }
}
