using System.Text.Json.Serialization;

namespace F5Tts.Api.Contracts;

/// <summary>Exactly what the model sees for a text.</summary>
public sealed class TokenizeResponse
{
    /// <summary>Tokens in order: pinyin syllables (TONE3, ü as v, neutral tone without digit), single characters, spaces.</summary>
    [JsonPropertyName("tokens")]
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>Vocabulary ids (unknown tokens are 0, the space id), as fed to the model.</summary>
    [JsonPropertyName("ids")]
    public required IReadOnlyList<int> Ids { get; init; }

    /// <summary>Number of tokens.</summary>
    [JsonPropertyName("count")]
    public int Count { get; init; }

    /// <summary>The plain text that was tokenised (reference joined, markup removed, normalised when enabled).</summary>
    [JsonPropertyName("text")]
    public required string Text { get; init; }
}
