using F5Tts.Api.Contracts;
using F5Tts.Api.Extensions;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference.Voices;

namespace F5Tts.Api.Endpoints;

/// <summary>OpenAI-compatible speech: <c>POST /v1/audio/speech</c> and <c>GET /v1/audio/voices</c>.</summary>
internal static class SpeechEndpoints
{
    // OpenAI's built-in voice names: clients (Open WebUI, SillyTavern) send them by default, so they select the
    // default voice instead of failing with 404.
    private static readonly HashSet<string> OpenAiVoices = new(StringComparer.OrdinalIgnoreCase)
    {
        "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar",
    };

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapSpeechEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/audio/speech", CreateSpeech)
            .WithName("CreateSpeech")
            .WithTags("OpenAI")
            .WithSummary("OpenAI-compatible text to speech")
            .Accepts<SpeechRequestDto>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "audio/mpeg", additionalContentTypes: ["audio/wav", "audio/ogg", "audio/pcm", "text/event-stream"])
            .ProducesSynthesisProblems(StatusCodes.Status404NotFound);
        endpoints.MapGet("/v1/audio/voices", ListVoices)
            .WithName("ListSpeechVoices")
            .WithTags("OpenAI")
            .WithSummary("Voices in the shape OpenAI-compatible clients read")
            .Produces<SpeechVoiceList>();
        return endpoints;
    }

    /// <summary>
    /// Creates speech from <c>input</c> the way OpenAI's endpoint does, so the official SDKs and tools such as Open
    /// WebUI work unchanged. The audio is streamed as it is synthesised (chunked transfer), or as server-sent events
    /// with <c>stream_format: "sse"</c>. Extensions: <c>nfe_steps</c>, <c>cfg_strength</c>, <c>sway</c>, <c>seed</c>.
    /// </summary>
    /// <param name="request">OpenAI speech request.</param>
    /// <param name="http">The HTTP context.</param>
    /// <param name="responder">Writes the audio.</param>
    /// <param name="voices">The voice library.</param>
    /// <param name="formats">The response formats of this machine.</param>
    internal static async Task CreateSpeech(
        SpeechRequestDto request, HttpContext http, SpeechResponder responder, IVoiceRegistry voices, OutputFormats formats)
    {
        var format = formats.Find(request.ResponseFormat, "response_format", "mp3");
        var mode = (request.StreamFormat ?? "audio").Trim().ToLowerInvariant() switch
        {
            "audio" => ResponseMode.Stream,
            "sse" => ResponseMode.Sse,
            var other => throw TtsException.InvalidInput($"Unsupported stream_format '{other}'. Supported: audio, sse.", "stream_format"),
        };
        if (await formats.RejectUnavailableAsync(http, format, "response_format"))
        {
            return;
        }

        var tts = new TtsRequest
        {
            Text = request.Input ?? throw TtsException.InvalidInput("input is required.", "input"),
            VoiceId = ResolveVoice(request.Voice, voices),
            Speed = request.Speed,
            NfeSteps = request.NfeSteps,
            CfgStrength = request.CfgStrength,
            Sway = request.Sway,
            Seed = request.Seed,
        };
        await responder.WriteAsync(http, tts, format.Format, sampleRate: null, mode);
    }

    /// <summary>Lists the stored voices as <c>{"voices": [{"id", "name"}]}</c>.</summary>
    /// <param name="voices">The voice library.</param>
    internal static IResult ListVoices(IVoiceRegistry voices) =>
        TypedResults.Ok(new SpeechVoiceList(voices.List().Select(v => new SpeechVoice(v.Id, v.Name)).ToList()));

    private static string? ResolveVoice(string? requested, IVoiceRegistry voices)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            return null;
        }

        if (voices.TryGet(requested, out _))
        {
            return requested;
        }

        var byName = voices.List().FirstOrDefault(v => string.Equals(v.Name, requested, StringComparison.OrdinalIgnoreCase));
        if (byName is not null)
        {
            return byName.Id;
        }

        return OpenAiVoices.Contains(requested) ? null : requested; // unknown → 404 from the pipeline
    }
}

/// <summary>Voice list of <c>GET /v1/audio/voices</c>.</summary>
/// <param name="Voices">The voices.</param>
internal sealed record SpeechVoiceList(IReadOnlyList<SpeechVoice> Voices);

/// <summary>One voice.</summary>
/// <param name="Id">Id to pass as <c>voice</c>.</param>
/// <param name="Name">Display name.</param>
internal sealed record SpeechVoice(string Id, string Name);
