using System.ComponentModel;
using System.Text.Json.Serialization;

namespace F5Tts.Api.Contracts;

/// <summary>Body of the OpenAI-compatible <c>POST /v1/audio/speech</c>, plus F5-TTS extensions.</summary>
public sealed class SpeechRequestDto : SynthesisSettingsDto
{
    /// <summary>Model name; any value selects the loaded model (clients send e.g. <c>tts-1</c>).</summary>
    /// <example>f5-tts</example>
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>Text to speak.</summary>
    /// <example>Hello! This voice was cloned from a three second clip.</example>
    [JsonPropertyName("input")]
    public string? Input { get; init; }

    /// <summary>mp3 (default, where libmp3lame is installed), opus, wav or pcm (24 kHz s16le).</summary>
    /// <example>wav</example>
    [JsonPropertyName("response_format")]
    [DefaultValue("mp3")]
    public string? ResponseFormat { get; init; }

    /// <summary><c>audio</c> (default: the encoded audio, streamed as it is made) or <c>sse</c> (server-sent events).</summary>
    /// <example>audio</example>
    [JsonPropertyName("stream_format")]
    public string? StreamFormat { get; init; }

    /// <summary>Accepted for compatibility and ignored (F5-TTS takes its style from the reference voice).</summary>
    [JsonPropertyName("instructions")]
    public string? Instructions { get; init; }
}
