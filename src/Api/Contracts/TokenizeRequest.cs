using System.Text.Json.Serialization;

namespace F5Tts.Api.Contracts;

/// <summary>Text to tokenise, optionally with the reference transcript it will be joined to.</summary>
public sealed class TokenizeRequest
{
    /// <summary>The text to speak. Inline overrides such as <c>行&lt;hang2&gt;</c> force a reading.</summary>
    /// <example>银行&lt;yin2 hang2&gt;的行&lt;hang2&gt;长说：今天是2024年5月1日。</example>
    [JsonPropertyName("text")]
    public string? Text { get; set; }

    /// <summary>Transcript of the reference clip; when given, the ids are those of reference + text, joined as for synthesis.</summary>
    [JsonPropertyName("reference_text")]
    public string? ReferenceText { get; set; }

    /// <summary>Verbalise numbers, dates, times, currency and phone numbers; default from configuration (F5Tts:Text:Normalize).</summary>
    [JsonPropertyName("normalize")]
    public bool? Normalize { get; set; }
}
