using System.ComponentModel;
using System.Text.Json.Serialization;

namespace F5Tts.Api.Contracts;

/// <summary>Body of <c>POST /v1/dub</c> as JSON; a multipart form carries the same fields (the subtitles as a file).</summary>
public sealed class DubRequestDto
{
    /// <summary>
    /// SRT or WebVTT text. Each cue is spoken in exactly its time span and placed at its start; WebVTT
    /// <c>&lt;v Speaker&gt;</c> spans choose the voice of a cue.
    /// </summary>
    [JsonPropertyName("subtitles")]
    public string? Subtitles { get; init; }

    /// <summary>Stored voice id of cues without a speaker (the configured default voice when omitted).</summary>
    /// <example>default</example>
    [JsonPropertyName("voice")]
    public string? Voice { get; init; }

    /// <summary>WebVTT speaker name → stored voice id. A speaker not listed here speaks with the voice whose id is
    /// derived from its name (<c>Alice</c> → <c>alice</c>).</summary>
    [JsonPropertyName("speakers")]
    public Dictionary<string, string>? Speakers { get; init; }

    /// <summary>Response format: <c>wav</c> (default), <c>opus</c>, <c>pcm</c> or <c>mp3</c>.</summary>
    /// <example>wav</example>
    [JsonPropertyName("format")]
    [DefaultValue("wav")]
    public string? Format { get; init; }

    /// <summary>Output sample rate in Hz for wav/pcm/mp3 (default 24000).</summary>
    /// <example>24000</example>
    [JsonPropertyName("sample_rate")]
    public int? SampleRate { get; init; }

    /// <summary>Sampling steps (default 32).</summary>
    /// <example>16</example>
    [JsonPropertyName("nfe_steps")]
    public int? NfeSteps { get; init; }

    /// <inheritdoc cref="SynthesisSettingsDto.CfgStrength" path="/summary"/>
    [JsonPropertyName("cfg_strength")]
    public float? CfgStrength { get; init; }

    /// <inheritdoc cref="SynthesisSettingsDto.Sway" path="/summary"/>
    [JsonPropertyName("sway")]
    public float? Sway { get; init; }

    /// <summary>Noise seed for reproducible output (cue i uses seed + i).</summary>
    /// <example>42</example>
    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    /// <inheritdoc cref="TtsRequestDto.Normalize"/>
    [JsonPropertyName("normalize")]
    public bool? Normalize { get; init; }

    /// <summary>Normalise the track to this integrated loudness in LUFS (e.g. −23 or −16), true peak at most −1 dBTP.</summary>
    [JsonPropertyName("loudness_lufs")]
    public double? LoudnessLufs { get; init; }

    /// <summary>Answer with JSON: the audio in base64 and, per cue, the requested and produced length and the rate.</summary>
    /// <example>false</example>
    [JsonPropertyName("report")]
    public bool? Report { get; init; }
}
