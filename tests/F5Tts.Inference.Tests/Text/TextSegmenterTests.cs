using F5Tts.Inference.Options;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Tests.Text;

/// <summary>
/// Segmentation of text that arrives token by token: the short first segment, sentence ends for later ones, the
/// maximum length (clause, then word boundary), a word that is still growing never cut, the wait cut and the flush.
/// </summary>
public sealed class TextSegmenterTests
{
    private static readonly RealtimeOptions Options = new()
    {
        FirstSegmentMinBytes = 10, FirstSegmentMaxBytes = 40, MinSegmentBytes = 30, MaxSegmentBytes = 80,
    };

    [Fact]
    public void Tokens_form_a_short_first_segment_at_the_first_clause_end_past_the_minimum()
    {
        var segmenter = new TextSegmenter(Options);
        var segments = Feed(segmenter, "Hi, ", "well", " hello", " there,", " my", " friend.", " How", " are", " you?");
        // "Hi," is under 10 bytes; "Hi, well hello there," is the first clause end past it (and the ',' is only known
        // to end a clause once the white space after it arrived).
        Assert.Equal(["Hi, well hello there,"], segments);
        Assert.True(segmenter.HasText);
        Assert.Equal("my friend. How are you?", segmenter.TakeAll());
        Assert.False(segmenter.HasText);
    }

    [Fact]
    public void A_sentence_end_is_known_only_when_white_space_follows()
    {
        var segmenter = new TextSegmenter(Options);
        Assert.Empty(segmenter.Append("It costs 3."));
        Assert.Empty(segmenter.Append("50 dollars"));
        Assert.Equal(["It costs 3.50 dollars today."], segmenter.Append(" today. "));
    }

    [Fact]
    public void Later_segments_end_at_sentence_ends_past_the_minimum_and_take_as_many_sentences_as_fit()
    {
        var segmenter = new TextSegmenter(Options);
        Assert.Equal(["First sentence here."], segmenter.Append("First sentence here. "));
        Assert.Empty(segmenter.Append("Short one. ")); // 10 bytes: under the 30-byte minimum of later segments
        // A burst: every whole sentence within the 80-byte maximum goes into one segment.
        Assert.Equal(
            ["Short one. Another sentence follows it. And a third one that is long."],
            segmenter.Append("Another sentence follows it. And a third one that is long. Then"));
        Assert.Equal("Then", segmenter.TakeAll());
    }

    [Fact]
    public void Without_a_sentence_end_a_long_text_is_cut_at_a_clause_end_else_at_a_word_boundary()
    {
        var segmenter = new TextSegmenter(Options);
        _ = segmenter.Append("Opening words here, ");
        var clause = segmenter.Append("then a clause that runs on, and on and on without any full stop at all for a long time");
        Assert.Equal(["then a clause that runs on,"], clause);
        var words = new TextSegmenter(Options);
        Assert.Equal(["one two three four five six seven eight"], words.Append("one two three four five six seven eight nine"));
    }

    [Fact]
    public void The_last_word_is_never_cut_while_it_may_still_grow()
    {
        var segmenter = new TextSegmenter(Options);
        Assert.Empty(segmenter.Append("Supercalifragilistic"));
        Assert.Null(segmenter.TakeWaiting()); // one unfinished word: nothing to speak yet
        Assert.Empty(segmenter.Append("expialidocious is"));
        Assert.Equal("Supercalifragilisticexpialidocious", segmenter.TakeWaiting());
        Assert.Equal("is", segmenter.TakeAll());
    }

    [Fact]
    public void Chinese_text_is_cut_at_its_own_punctuation_and_between_characters()
    {
        var segmenter = new TextSegmenter(Options);
        Assert.Equal(["你好，欢迎来到这里。"], segmenter.Append("你好，欢迎来到这里。今天")); // 30 bytes: past the first minimum
        Assert.Equal("今", segmenter.TakeWaiting()); // the last character may be followed by more; every earlier one is whole
        Assert.Equal("天", segmenter.TakeAll());
    }

    [Fact]
    public void Text_that_is_only_white_space_gives_no_segment()
    {
        var segmenter = new TextSegmenter(Options);
        Assert.Empty(segmenter.Append("   "));
        Assert.Null(segmenter.TakeAll());
        Assert.False(segmenter.HasText);
    }

    private static List<string> Feed(TextSegmenter segmenter, params string[] tokens)
    {
        var segments = new List<string>();
        foreach (var token in tokens)
        {
            segments.AddRange(segmenter.Append(token));
        }

        return segments;
    }
}
