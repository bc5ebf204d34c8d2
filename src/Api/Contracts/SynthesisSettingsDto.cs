using System.Text.Json.Serialization;

namespace F5Tts.Api.Contracts;

/// <summary>
/// The fields <c>POST /v1/tts</c> and <c>POST /v1/audio/speech</c> share: the voice and the sampler settings. Ranges
/// are the configured limits of <c>F5Tts:Synthesis</c>; the OpenAPI document states the ones in force.
/// </summary>
public abstract class SynthesisSettingsDto
{
    /// <summary>
    /// Stored voice id (see <c>GET /v1/voices</c>); the configured default voice when omitted. /v1/audio/speech also
    /// accepts a voice's name, and OpenAI's built-in names (alloy, echo, …) select the default voice.
    /// </summary>
    /// <example>default</example>
    [JsonPropertyName("voice")]
    public string? Voice { get; init; }

    /// <summary>Speaking-rate multiplier (default 1).</summary>
    /// <example>1.0</example>
    [JsonPropertyName("speed")]
    public float? Speed { get; init; }

    /// <summary>Sampling steps (default 32; 16 with the EPSS grid is nearly as good and twice as fast).</summary>
    /// <example>16</example>
    [JsonPropertyName("nfe_steps")]
    public int? NfeSteps { get; init; }

    /// <summary>Classifier-free guidance strength (default 2).</summary>
    /// <example>2.0</example>
    [JsonPropertyName("cfg_strength")]
    public float? CfgStrength { get; init; }

    /// <summary>Sway sampling coefficient (default −1).</summary>
    /// <example>-1.0</example>
    [JsonPropertyName("sway")]
    public float? Sway { get; init; }

    /// <summary>Noise seed for reproducible output.</summary>
    /// <example>42</example>
    [JsonPropertyName("seed")]
    public long? Seed { get; init; }
}
