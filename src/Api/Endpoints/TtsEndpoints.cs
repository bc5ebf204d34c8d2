using F5Tts.Api.Contracts;
using F5Tts.Api.Extensions;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference.Voices;

namespace F5Tts.Api.Endpoints;

/// <summary><c>POST /v1/tts</c>: the service's own synthesis endpoint.</summary>
internal static class TtsEndpoints
{
    /// <summary>Detail of the 400 for a body without <c>text</c> (also the OpenAPI document's sample problem).</summary>
    internal const string TextRequired = "text is required.";

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapTtsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/tts", Synthesize)
            .WithName("Synthesize")
            .WithTags("Speech")
            .WithSummary("Synthesise speech in a reference voice")
            .Accepts<TtsRequestDto>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav", additionalContentTypes: ["audio/ogg", "audio/pcm", "audio/mpeg"])
            .ProducesSynthesisProblems(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <summary>
    /// Speaks <c>text</c> in a stored voice (<c>voice</c>) or an inline reference clip with its transcript, and returns
    /// the audio (WAV by default; Ogg Opus, raw PCM s16le or MP3 on request). Requests are batched with others on the
    /// GPU; headers <c>X-Queue-Time</c>, <c>X-Inference-Time</c> and <c>X-Total-Time</c> (seconds) say where the time
    /// went. With <c>stream: true</c> the audio is sent chunk by chunk as it is synthesised (long texts are split at
    /// sentence boundaries; the first chunk is short so audio starts early).
    /// </summary>
    /// <param name="request">What to say, in which voice, and how.</param>
    /// <param name="http">The HTTP context (the response is written directly).</param>
    /// <param name="responder">Writes the audio.</param>
    /// <param name="formats">The response formats of this machine.</param>
    internal static async Task Synthesize(TtsRequestDto request, HttpContext http, SpeechResponder responder, OutputFormats formats)
    {
        var format = formats.Find(request.Format, "format", "wav");
        if (await formats.RejectUnavailableAsync(http, format, "format"))
        {
            return;
        }

        var tts = new TtsRequest
        {
            Text = request.Text ?? throw TtsException.InvalidInput(TextRequired, "text"),
            VoiceId = request.Voice,
            Reference = ToReference(request.Reference),
            Speed = request.Speed,
            NfeSteps = request.NfeSteps,
            CfgStrength = request.CfgStrength,
            Sway = request.Sway,
            Seed = request.Seed,
            Normalize = request.Normalize,
            ReadMarkup = true,
            Dialogue = request.Dialogue == true,
            GapSeconds = request.GapMs / 1000.0,
            LoudnessLufs = request.LoudnessLufs,
        };
        var timestamps = request.Timestamps == true;
        var mode = request.Stream != true ? ResponseMode.Whole : timestamps ? ResponseMode.Sse : ResponseMode.Stream;
        await responder.WriteAsync(http, tts, format.Format, request.SampleRate, mode, timestamps);
    }

    private static InlineReference? ToReference(InlineReferenceDto? reference)
    {
        if (reference is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(reference.Audio))
        {
            throw TtsException.InvalidInput("reference.audio must hold the base64-encoded audio file (WAV, MP3, FLAC or Opus).", "reference.audio");
        }

        byte[] audio;
        try
        {
            audio = Convert.FromBase64String(reference.Audio);
        }
        catch (FormatException)
        {
            throw TtsException.InvalidInput("reference.audio is not valid base64.", "reference.audio");
        }

        // Control characters or punctuation alone are no transcript (the voice library refuses them too).
        if (!Transcripts.IsSpeakable(reference.Text))
        {
            throw TtsException.InvalidInput(
                "reference.text must hold the transcript of the reference audio: letters or digits, no control characters.", "reference.text");
        }

        return new InlineReference(audio, reference.Text!);
    }
}
