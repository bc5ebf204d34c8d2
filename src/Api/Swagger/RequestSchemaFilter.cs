using System.Globalization;
using System.Text.Json.Nodes;
using F5Tts.Api.Contracts;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace F5Tts.Api.Swagger;

/// <summary>
/// Documents the synthesis request bodies from the limits the service enforces: the ranges of <c>nfe_steps</c>,
/// <c>cfg_strength</c>, <c>speed</c> and <c>sway</c> are the configured <see cref="SynthesisOptions"/> (the same
/// values the request validation reads), <c>sample_rate</c> the encoders' constants; nothing is written twice. Each
/// body (and the tokenizer's) gets a whole example that works as it stands (Swagger UI's "Try it out" pre-fills it): without it the UI
/// would invent <c>"reference":{"audio":"string"}</c> and <c>0</c> for numbers, which the service rightly refuses.
/// </summary>
internal sealed class RequestSchemaFilter(IOptions<SynthesisOptions> synthesis) : ISchemaFilter
{
    /// <summary>The example body of <c>POST /v1/tts</c>.</summary>
    public static JsonObject TtsExample => new()
    {
        ["text"] = "Hello! This is F5-TTS speaking.",
        ["voice"] = "default",
        ["format"] = "wav",
        ["nfe_steps"] = 16,
        ["seed"] = 42,
    };

    /// <summary>The example body of <c>POST /v1/audio/speech</c> (wav: mp3 depends on an optional library).</summary>
    public static JsonObject SpeechExample => new()
    {
        ["model"] = "tts-1",
        ["input"] = "Hello! This is F5-TTS speaking.",
        ["voice"] = "alloy",
        ["response_format"] = "wav",
        ["nfe_steps"] = 16,
    };

    /// <summary>The example body of <c>POST /v1/tokenize</c>.</summary>
    public static JsonObject TokenizeExample => new()
    {
        ["text"] = "银行<yin2 hang2>的行<hang2>长说：今天是2024年5月1日。",
    };

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (context.Type == typeof(TokenizeRequest))
        {
            concrete.Examples = [TokenizeExample];
            return;
        }

        if (!typeof(SynthesisSettingsDto).IsAssignableFrom(context.Type))
        {
            return;
        }

        var o = synthesis.Value;
        Range(concrete, "nfe_steps", 1, o.MaxNfeSteps);
        Range(concrete, "cfg_strength", 0, o.MaxCfgStrength);
        Range(concrete, "speed", o.MinSpeed, o.MaxSpeed);
        Range(concrete, "sway", -1, 1);
        Range(concrete, "seed", 0, null);
        Range(concrete, "sample_rate", AudioEncoders.MinOutputSampleRate, AudioEncoders.MaxOutputSampleRate);
        var example = context.Type == typeof(TtsRequestDto) ? TtsExample
            : context.Type == typeof(SpeechRequestDto) ? SpeechExample
            : null;
        if (example is not null)
        {
            concrete.Examples = [example];
        }
    }

    private static void Range(OpenApiSchema schema, string property, double minimum, double? maximum)
    {
        if (schema.Properties?.TryGetValue(property, out var found) != true || found is not OpenApiSchema field)
        {
            return;
        }

        field.Minimum = minimum.ToString(CultureInfo.InvariantCulture);
        field.Maximum = maximum?.ToString(CultureInfo.InvariantCulture);
    }
}
