using System.ComponentModel;
using System.Text.Json.Serialization;

namespace F5Tts.Api.Contracts;

/// <summary>Body of <c>POST /v1/tts</c>.</summary>
public sealed class TtsRequestDto : SynthesisSettingsDto
{
    /// <summary>Text to speak (Chinese, English or mixed). Inline overrides such as <c>行&lt;hang2&gt;</c> are honoured.</summary>
    /// <example>这点请您放心，估计是我的号码被标记了，请问您是沈沈吗？</example>
    [JsonPropertyName("text")]
    public string? Text { get; init; }

    /// <summary>Inline reference clip instead of a stored voice.</summary>
    [JsonPropertyName("reference")]
    public InlineReferenceDto? Reference { get; init; }

    /// <summary>Response format: <c>wav</c> (default), <c>opus</c> (Ogg Opus), <c>pcm</c> (s16le) or <c>mp3</c> (where libmp3lame is installed).</summary>
    /// <example>wav</example>
    [JsonPropertyName("format")]
    [DefaultValue("wav")]
    public string? Format { get; init; }

    /// <summary>Output sample rate in Hz for wav/pcm/mp3 (default 24000, the model's; opus is always 48 kHz).</summary>
    /// <example>24000</example>
    [JsonPropertyName("sample_rate")]
    public int? SampleRate { get; init; }

    /// <summary>Stream audio as it is synthesised (chunked transfer; WAV with an open-ended header).</summary>
    /// <example>false</example>
    [JsonPropertyName("stream")]
    public bool? Stream { get; init; }

    /// <summary>Normalise numbers, dates, currency… into words (default from configuration).</summary>
    [JsonPropertyName("normalize")]
    public bool? Normalize { get; init; }

    /// <summary>Read voice tags in the text: <c>[alice] 你好。[bob] Hi there.</c> speaks each part in that stored voice
    /// (an unknown one is refused). Pauses (<c>[pause 500ms]</c>, <c>&lt;break time="500ms"/&gt;</c>) are always read.</summary>
    /// <example>false</example>
    [JsonPropertyName("dialogue")]
    public bool? Dialogue { get; init; }

    /// <summary>Silence between dialogue turns of different voices, in milliseconds (default 0).</summary>
    [JsonPropertyName("gap_ms")]
    public int? GapMs { get; init; }

    /// <summary>Normalise the audio to this integrated loudness in LUFS (EBU R128: −23 broadcast, −16 podcasts),
    /// true peak at most −1 dBTP. Not with <c>stream</c>: the whole audio is measured first.</summary>
    [JsonPropertyName("loudness_lufs")]
    public double? LoudnessLufs { get; init; }

    /// <summary>Answer with JSON: the audio in base64, each text segment's start and end (in samples and seconds)
    /// and WebVTT captions. With <c>stream</c>: server-sent events, the audio as <c>speech.audio.delta</c> and each
    /// segment as <c>speech.segment</c>.</summary>
    [JsonPropertyName("timestamps")]
    public bool? Timestamps { get; init; }
}

/// <summary>A reference clip sent with the request.</summary>
public sealed class InlineReferenceDto
{
    /// <summary>WAV, MP3, FLAC or Opus (Ogg, WebM) file, base64-encoded.</summary>
    [JsonPropertyName("audio")]
    public string? Audio { get; init; }

    /// <summary>Exactly what is said in the clip.</summary>
    [JsonPropertyName("text")]
    public string? Text { get; init; }
}
