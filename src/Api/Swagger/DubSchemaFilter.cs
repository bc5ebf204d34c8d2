using System.Text.Json.Nodes;
using F5Tts.Api.Contracts;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace F5Tts.Api.Swagger;

/// <summary>
/// The example bodies of <c>POST /v1/dub</c> (a two-cue WebVTT document in the built-in voice, which works as it stands:
/// an XML doc example cannot hold the line breaks subtitles need) and of the timing options of <c>POST /v1/tts</c>
/// (pauses, dialogue, loudness, timestamps), appended after its plain example; all use only the built-in voice.
/// </summary>
internal sealed class DubSchemaFilter(IOptions<SynthesisOptions> synthesis) : ISchemaFilter
{
    /// <summary>The example body of <c>POST /v1/dub</c>.</summary>
    public static JsonObject DubExample => new()
    {
        ["subtitles"] = "WEBVTT\n\n00:00.500 --> 00:02.000\nHello there.\n\n00:02.500 --> 00:04.000\nNice to meet you.\n",
        ["voice"] = "default",
        ["format"] = "wav",
        ["nfe_steps"] = 16,
        ["seed"] = 42,
        ["report"] = false,
    };

    /// <summary>Further example bodies of <c>POST /v1/tts</c>: its timing options.</summary>
    public static IReadOnlyList<JsonObject> TtsTimingExamples =>
    [
        new()
        {
            ["text"] = "[default] Hello there. [pause 500ms] <break time=\"250ms\"/> [default] Goodbye.",
            ["dialogue"] = true,
            ["gap_ms"] = 100,
            ["loudness_lufs"] = -16,
            ["nfe_steps"] = 16,
            ["seed"] = 42,
        },
        new()
        {
            ["text"] = "Hello there. [pause 300ms] How are you today?",
            ["timestamps"] = true,
            ["format"] = "wav",
            ["nfe_steps"] = 16,
            ["seed"] = 42,
        },
    ];

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (context.Type == typeof(TtsRequestDto))
        {
            concrete.Examples = [.. concrete.Examples ?? [], .. TtsTimingExamples];
            return;
        }

        if (context.Type != typeof(DubRequestDto))
        {
            return;
        }

        concrete.Examples = [DubExample];
        if (concrete.Properties?.TryGetValue("nfe_steps", out var nfe) == true && nfe is OpenApiSchema steps)
        {
            steps.Minimum = "1";
            steps.Maximum = synthesis.Value.MaxNfeSteps.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
