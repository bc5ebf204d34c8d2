namespace F5Tts.Inference.Tests.Text;

public sealed class NormalizationTests(FrontEndFixture fixture)
{
    private string Norm(string text) => fixture.Official.Tokenize(text, normalize: true).Text;

    [Theory]
    [InlineData("价格是24.67元", "价格是二十四点六七元")]
    [InlineData("增长了5%", "增长了百分之五")]
    [InlineData("增长了-2.5%", "增长了负百分之二点五")]
    [InlineData("2024年5月1日", "二零二四年五月一日")]
    [InlineData("会议10:30开始", "会议十点三十分开始")]
    [InlineData("会议10:05开始", "会议十点零五分开始")]
    [InlineData("会议2:00开始", "会议两点开始")]
    [InlineData("共花了¥3.50", "共花了三元五角")]
    [InlineData("共花了￥12", "共花了十二元")]
    [InlineData("我有2个苹果", "我有两个苹果")]
    [InlineData("一共105人", "一共一百零五人")]
    [InlineData("日期2024-05-01", "日期二零二四年五月一日")]
    [InlineData("气温-5度", "气温负五度")]
    [InlineData("第10001名", "第一万零一名")]
    [InlineData("下午2点见", "下午两点见")]
    [InlineData("花了$5买的", "花了五美元买的")]
    [InlineData("5月1日放假", "五月一日放假")]
    public void Chinese(string input, string expected)
        => Assert.Equal(expected, Norm(input));

    [Theory]
    [InlineData("It costs 24.67 now.", "It costs twenty-four point six seven now.")]
    [InlineData("Only 5% left.", "Only five percent left.")]
    [InlineData("Pay $3.50 today.", "Pay three dollars fifty cents today.")]
    [InlineData("Pay $1 today.", "Pay one dollar today.")]
    [InlineData("Pay $0.01 today.", "Pay one cent today.")]
    [InlineData("Born on 2024-05-01.", "Born on May first, twenty twenty-four.")]
    [InlineData("Due 12/25/1999 at noon.", "Due December twenty-fifth, nineteen ninety-nine at noon.")]
    [InlineData("See you at 10:30.", "See you at ten thirty.")]
    [InlineData("See you at 9:05.", "See you at nine oh five.")]
    [InlineData("See you at 7:00.", "See you at seven o'clock.")]
    [InlineData("Call 555-123-4567 now.", "Call five five five, one two three, four five six seven now.")]
    [InlineData("He came 21st of 1,234 runners.", "He came twenty-first of one thousand two hundred thirty-four runners.")]
    [InlineData("It was -3 degrees.", "It was minus three degrees.")]
    [InlineData("Version mp3 stays.", "Version mp3 stays.")]
    [InlineData("It was £2 or €3 each.", "It was two pounds or three euros each.")]
    [InlineData("Price ¥3.50 total.", "Price three yuan fifty fen total.")]
    [InlineData("Dial +1 555 123 4567 now.", "Dial plus one, five five five, one two three, four five six seven now.")]
    [InlineData("We have 1,234 items.", "We have one thousand two hundred thirty-four items.")]
    [InlineData("Since 1999 and in 2024 we sold 2024 units.", "Since nineteen ninety-nine and in twenty twenty-four we sold two thousand twenty-four units.")]
    public void English(string input, string expected) => Assert.Equal(expected, Norm(input));

    [Fact]
    public void Chinese_phone_numbers_read_one_as_yao()
    {
        Assert.Equal("他的电话是幺三八幺二三四五六七八", Norm("他的电话是13812345678"));
    }

    [Fact]
    public void Normalisation_off_keeps_digits_exactly_as_upstream()
    {
        var off = fixture.Official.Tokenize("价格是24.67元，增长5%", normalize: false);
        Assert.Equal("价格是24.67元，增长5%", off.Text);
        Assert.Contains("2", off.Tokens);
        Assert.Contains("%", off.Tokens);
        // Default (null) follows TextOptions.Normalize, which is off by default.
        Assert.Equal(off.Ids, fixture.Official.Tokenize("价格是24.67元，增长5%").Ids);
    }

    [Fact]
    public void Overrides_survive_normalisation()
    {
        var r = fixture.Official.Tokenize("2个银行<yin2 hang2>", normalize: true);
        Assert.Equal("两个银行", r.Text);
        Assert.Equal(["hang2"], r.Tokens.Skip(r.Tokens.Count - 1));
    }
}
