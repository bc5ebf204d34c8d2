using System.ComponentModel.DataAnnotations;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Options;

/// <summary>Text front-end settings, section <c>F5Tts:Text</c> (docs/text-frontend.md).</summary>
public sealed class TextOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "F5Tts:Text";

    /// <summary>
    /// The model vocabulary. Empty: <c>{F5Tts:Model:Directory}/vocab.txt</c>. Relative paths resolve against the
    /// content root.
    /// </summary>
    public string? VocabularyPath { get; set; }

    /// <summary>
    /// Optional user lexicon: one entry per line, <c>word&lt;TAB or spaces&gt;pinyin pinyin ...</c> (one syllable per
    /// character), <c>#</c> starts a comment. Loaded once at start.
    /// </summary>
    public string? LexiconPath { get; set; }

    /// <summary>Default for verbalising numbers, dates, times, currency and phone numbers (a request may override). Off = upstream tokens.</summary>
    public bool Normalize { get; set; }

    /// <summary>Largest accepted text (UTF-16 characters, generated text only): longer requests get 413.</summary>
    [Range(1, 1_000_000)]
    public int MaxCharacters { get; set; } = 5000;

    /// <summary>Which upstream behaviour to reproduce for joining texts, duration and chunking.</summary>
    public UpstreamMode Mode { get; set; } = UpstreamMode.Official;

    /// <summary>Seconds of reference + generated audio one chunk aims at (upstream v1: 22; before v1: 25).</summary>
    [Range(1.0, 60.0)]
    public double ChunkBudgetSeconds { get; set; } = 22.0;

    /// <summary>UTF-8 byte budget of the first chunk when a short first chunk is requested (streaming).</summary>
    [Range(1, 100_000)]
    public int FirstChunkMaxBytes { get; set; } = 60;
}
