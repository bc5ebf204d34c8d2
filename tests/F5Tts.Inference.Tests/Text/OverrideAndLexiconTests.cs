using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

public sealed class OverrideAndLexiconTests(FrontEndFixture fixture)
{
    private TextFrontEnd FrontEnd => fixture.Official;

    [Fact]
    public void An_override_forces_the_reading_of_the_preceding_character()
    {
        Assert.Equal([" ", "xing2"], FrontEnd.Tokenize("行", normalize: false).Tokens);
        Assert.Equal([" ", "hang2"], FrontEnd.Tokenize("行<hang2>", normalize: false).Tokens);
        // Tone marks, ü, upper case and tone 5 (neutral) are accepted and written the vocabulary's way.
        Assert.Equal([" ", "hang2"], FrontEnd.Tokenize("行<HÁNG>", normalize: false).Tokens);
        Assert.Equal([" ", "lv4"], FrontEnd.Tokenize("绿<lü4>", normalize: false).Tokens);
        Assert.Equal([" ", "ma"], FrontEnd.Tokenize("吗<ma5>", normalize: false).Tokens);
    }

    [Fact]
    public void An_override_with_n_syllables_covers_the_last_n_characters_and_leaves_the_rest_upstream()
    {
        var plain = FrontEnd.Tokenize("他是银行行长。", normalize: false);
        var forced = FrontEnd.Tokenize("他是银行行长<hang2 zhang3>。", normalize: false);
        Assert.Equal(plain.Tokens.Count, forced.Tokens.Count);
        Assert.Equal("他是银行行长。", forced.Text);
        var i = forced.Tokens.Count;
        Assert.Equal(["hang2", " ", "zhang3", "。"], forced.Tokens.Skip(i - 4));
        Assert.Equal(plain.Tokens.Take(i - 4), forced.Tokens.Take(i - 4));
        Assert.All(forced.Ids, id => Assert.True(id >= 0));
    }

    [Theory]
    [InlineData("行<hang2", "not closed")]
    [InlineData("行<>", "empty")]
    [InlineData("行<xyz9>", "not a pinyin syllable")]
    [InlineData("行<ha2ng>", "not a pinyin syllable")]
    [InlineData("行<qqq2>", "not a syllable the model knows")]
    [InlineData("行<hang2 zhang3>", "follows only 1")]
    public void Bad_override_syntax_is_invalid_input(string text, string message)
    {
        var e = Assert.Throws<TextInputException>(() => FrontEnd.Tokenize(text, normalize: false));
        Assert.Equal(TextErrorKind.InvalidInput, e.TextKind);
        Assert.Equal(TtsErrorKind.InvalidInput, e.Kind);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_less_than_sign_not_after_a_chinese_character_is_ordinary_text()
    {
        var r = FrontEnd.Tokenize("if a<b then", normalize: false);
        Assert.Equal("if a<b then", r.Text);
        Assert.Contains("<", r.Tokens);
    }

    [Fact]
    public void Lexicon_words_segment_whole_and_are_read_verbatim()
    {
        var vocab = fixture.Vocabulary;
        var lexicon = Lexicon.Parse(["# test lexicon", "你好\tni3 hao3", "李白金星 li3 bai2 jin1 xing1", ""], "test", vocab);
        var withLexicon = new TextFrontEnd(new TextOptions(), vocab, lexicon);

        // Without the lexicon, 你好 gets third-tone sandhi (ni2 hao3); the lexicon reading is used as written.
        Assert.Equal([" ", "ni2", " ", "hao3"], FrontEnd.Tokenize("你好", normalize: false).Tokens);
        Assert.Equal([" ", "ni3", " ", "hao3"], withLexicon.Tokenize("你好", normalize: false).Tokens);

        var segmenter = new JiebaSegmenter(["李白金星"]);
        const string text = "对，这就是你，万人敬仰的李白金星。";
        Assert.Contains(segmenter.Cut(text), s => text.Substring(s.Start, s.Length) == "李白金星");
        Assert.DoesNotContain(new JiebaSegmenter().Cut(text), s => text.Substring(s.Start, s.Length) == "李白金星");
    }

    [Theory]
    [InlineData("银行 yin2", "2 characters but 1 syllables")]
    [InlineData("abc a1 b1 c1", "Chinese characters")]
    [InlineData("银行 yin2 qqq2", "not in the model vocabulary")]
    [InlineData("银行 yin2 h@ng", "not a pinyin syllable")]
    public void Bad_lexicon_lines_are_refused_with_file_and_line(string line, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Lexicon.Parse(["# header", line], "lexicon.txt", fixture.Vocabulary));
        Assert.StartsWith("lexicon.txt:2:", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_map_to_400_413_and_422()
    {
        Assert.Equal(TextErrorKind.InvalidInput, Assert.Throws<TextInputException>(() => FrontEnd.Tokenize("  ")).TextKind);
        var tooLong = new TextFrontEnd(new TextOptions { MaxCharacters = 10 }, fixture.Vocabulary);
        var e413 = Assert.Throws<TextInputException>(() => tooLong.Tokenize(new string('好', 11)));
        Assert.Equal(TtsErrorKind.PayloadTooLarge, e413.Kind);
        var e422 = Assert.Throws<TextInputException>(() => FrontEnd.Tokenize("，。！ ；"));
        Assert.Equal(TtsErrorKind.NoSpeakableText, e422.Kind);
        // Speakable reference text does not make an unspeakable generated text speakable.
        Assert.Throws<TextInputException>(() => FrontEnd.Tokenize("。", "你好。"));
    }
}
