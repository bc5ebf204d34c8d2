using F5Tts.Inference.Options;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

public sealed class DurationAndChunkingTests(FrontEndFixture fixture)
{
    private const int FiveSeconds = 120_000; // 24 kHz samples; 120000 / 256 = 468.75

    [Fact]
    public void Official_duration_worked_numbers()
    {
        var fe = fixture.Official;
        // Official ref-text rule: "…nature." + " " (ends with ".") + " " (last char 1-byte) = 22 bytes.
        var t = fe.Tokenize("Hello there, how are you?", "Some call me nature.");
        Assert.Equal("Some call me nature.  ", t.ReferenceText);
        Assert.Equal(22, t.ReferenceTextBytes);
        Assert.Equal(25, t.GeneratedTextBytes);
        var d = fe.ComputeDuration(t, FiveSeconds);
        // ref_audio_len = 468; 468 / 22 * 25 / 1.0 = 531.8 -> 531; N = 999.
        Assert.Equal(new DurationEstimate(999, 468, 531, 1.0), d);

        // Under 10 bytes: speed 0.3. 468 / 22 * 3 / 0.3 = 212.7 -> 212; N = 680.
        var shortText = fe.ComputeDuration(fe.Tokenize("Hi.", "Some call me nature."), FiveSeconds);
        Assert.Equal(new DurationEstimate(680, 468, 212, 0.3), shortText);

        // A Chinese reference ending in 。 is unchanged.
        Assert.Equal("你好。", fe.Tokenize("再见。", "你好。").ReferenceText);
    }

    [Fact]
    public void DakeQQ_duration_worked_numbers()
    {
        var fe = new TextFrontEnd(new TextOptions { Mode = UpstreamMode.DakeQQ }, fixture.Vocabulary);
        var t = fe.Tokenize("Hello there, how are you?", "Some call me nature.");
        Assert.Equal("Some call me nature.", t.ReferenceText); // joined as given
        // ref_audio_len = 468 + 1 = 469; 469 / 20 * 25 = 586.25 -> 586; N = 1055.
        Assert.Equal(new DurationEstimate(1055, 469, 586, 1.0), fe.ComputeDuration(t, FiveSeconds));
        // No 0.3 rule: 469 / 20 * 3 = 70.35 -> 70; N = 539. Speed 2: 469 / 20 * 3 / 2 = 35.2 -> 35.
        Assert.Equal(539, fe.ComputeDuration(fe.Tokenize("Hi.", "Some call me nature."), FiveSeconds).TotalFrames);
        Assert.Equal(504, fe.ComputeDuration(fe.Tokenize("Hi.", "Some call me nature."), FiveSeconds, speed: 2).TotalFrames);
    }

    [Fact]
    public void Duration_is_clamped_to_the_text_and_reference_and_capped_by_the_model()
    {
        // 1 byte of generated text after a long reference: the formula gives less than T_text; clamp to T_text + 1.
        var e = DurationEstimator.Estimate(UpstreamMode.DakeQQ, referenceSamples: 2560, referenceTextBytes: 1000,
            generatedTextBytes: 1, speed: 1, textTokenCount: 400, maxFrames: 4096);
        Assert.Equal(401, e.TotalFrames);
        var tooLong = Assert.Throws<TextInputException>(() => DurationEstimator.Estimate(UpstreamMode.Official,
            FiveSeconds, 20, 5000, 1, 100, 4096));
        Assert.Equal(TextErrorKind.TooLong, tooLong.TextKind);
    }

    [Fact]
    public void Chunk_budget_follows_the_upstream_formula()
    {
        // 50 bytes / 5 s × (22 − 5) s × 1.0 = 170.
        Assert.Equal(170, DurationEstimator.ChunkBudgetBytes(FiveSeconds, 50, 1.0, 22));
        Assert.Equal(85, DurationEstimator.ChunkBudgetBytes(FiveSeconds, 50, 0.5, 22));
        Assert.Equal(1, DurationEstimator.ChunkBudgetBytes(24_000 * 30, 50, 1.0, 22)); // reference longer than the budget
    }

    [Fact]
    public void Upstream_chunking_greedy_by_sentence()
    {
        var chunker = new TextChunker(new JiebaSegmenter());
        var en = chunker.Chunk(Plain("Hello world. This is a test. Another sentence here."), 30).Select(c => c.Text);
        Assert.Equal(["Hello world. This is a test.", "Another sentence here."], en);
        var zh = chunker.Chunk(Plain("今天天气很好。我们去公园散步吧！"), 30).Select(c => c.Text);
        Assert.Equal(["今天天气很好。", "我们去公园散步吧！"], zh);
        // A single sentence over the budget stays whole (upstream).
        Assert.Equal(["今天天气很好我们去公园散步吧"], chunker.Chunk(Plain("今天天气很好我们去公园散步吧"), 9).Select(c => c.Text));
    }

    [Fact]
    public void Short_first_chunk_cuts_at_a_clause_or_word_boundary()
    {
        var chunker = new TextChunker(new JiebaSegmenter());
        const string en = "The quick brown fox jumps over the lazy dog and then it runs away into the forest.";
        var chunks = chunker.Chunk(Plain(en), 1000, firstChunkMaxBytes: 20).Select(c => c.Text).ToList();
        Assert.Equal("The quick brown fox", chunks[0]);
        Assert.Equal(en.Split(' '), string.Join(' ', chunks).Split(' '));

        const string zh = "今天天气很好，我们去公园散步吧。然后回家。";
        var zhChunks = chunker.Chunk(Plain(zh), 1000, firstChunkMaxBytes: 24).Select(c => c.Text).ToList();
        Assert.Equal("今天天气很好，", zhChunks[0]); // clause punctuation preferred over a later word boundary
        Assert.Equal(zh, string.Concat(zhChunks));

        // No clause mark within budget: the cut falls between jieba words, never inside one.
        const string zh2 = "中华人民共和国成立于一九四九年";
        var first = chunker.Chunk(Plain(zh2), 1000, firstChunkMaxBytes: 25)[0].Text;
        Assert.Equal("中华人民共和国", first);
    }

    [Fact]
    public void Plan_splits_until_every_chunk_fits_the_frame_limit()
    {
        var fe = fixture.Official;
        var text = string.Concat(Enumerable.Repeat("我们今天去公园散步，然后回家吃饭。", 20));
        var plan = fe.Plan(text, "这是参考音频的文本。", FiveSeconds, maxFrames: 1200);
        Assert.True(plan.Chunks.Count > 1);
        Assert.All(plan.Chunks, c => Assert.InRange(c.Duration.TotalFrames, 470, 1200));
        Assert.Equal(text, string.Concat(plan.Chunks.Select(c => c.Text)));

        // A tiny window forces splits below the sentence level, still at word boundaries.
        // 468 reference frames, 15.6 frames per byte: at most 8 bytes (two characters) per piece fit in 600 frames.
        var tight = fe.Plan("我们今天去公园散步然后回家吃饭", "这是参考音频的文本。", FiveSeconds, maxFrames: 600);
        Assert.True(tight.Chunks.Count > 1);
        Assert.All(tight.Chunks, c => Assert.True(c.Duration.TotalFrames <= 600));
        Assert.Equal("我们今天去公园散步然后回家吃饭", string.Concat(tight.Chunks.Select(c => c.Text)));
        Assert.Contains(tight.Chunks, c => c.Text == "公园"); // jieba words kept whole

        // A reference that fills the window is refused as invalid input.
        Assert.Equal(TextErrorKind.InvalidInput, Assert.Throws<TextInputException>(
            () => fe.Plan("你好", "参考。", 24_000 * 50, maxFrames: 4096)).TextKind);
    }

    [Fact]
    public void Chunk_keeps_overrides_inline()
    {
        var chunks = fixture.Official.Chunk("他是银行行长<hang2 zhang3>。我们去银行<yin2 hang2>吧！", "参考文本。", FiveSeconds, speed: 1,
            normalize: false, shortFirstChunk: false);
        Assert.Equal(["他是银行行长<hang2 zhang3>。我们去银行<yin2 hang2>吧！"], chunks);
    }

    private static PreparedText Plain(string s) => new(s, new Dictionary<int, string>());
}
