using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Contracts;
using F5Tts.Api.Extensions;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Dubbing;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using F5Tts.Inference.Synthesis;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Endpoints;

/// <summary><c>POST /v1/dub</c>: subtitles to one timed track (docs/dub.md).</summary>
internal static class DubEndpoints
{
    /// <summary>Detail of the 400 for a request without subtitles.</summary>
    internal const string SubtitlesRequired = "subtitles is required: SRT or WebVTT text (JSON), or a .srt/.vtt file (multipart/form-data).";

    private static readonly FormOptions Form = new() { ValueLengthLimit = 16 * 1024 * 1024, ValueCountLimit = 32 };

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapDubEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/dub", Dub)
            .WithName("Dub")
            .WithTags("Speech")
            .WithSummary("Speak subtitles as one timed track")
            .Accepts<DubRequestDto>("application/json", "multipart/form-data")
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav", additionalContentTypes: ["audio/ogg", "audio/pcm", "audio/mpeg", "application/json"])
            .ProducesSynthesisProblems();
        return endpoints;
    }

    /// <summary>
    /// Speaks every cue of an SRT or WebVTT document in exactly its time span (to the nearest 10.7 ms frame) and places
    /// it at its start on one silent track. A cue whose text cannot fit its span within the configured speaking-rate
    /// bounds is spoken at the bound (reported). Send JSON, or multipart/form-data with the subtitles as a file and the
    /// other fields as form values (<c>speakers</c> as a JSON object). With <c>report: true</c> the answer is JSON with
    /// the audio in base64 and, per cue, the requested and produced length and the rate factor.
    /// </summary>
    /// <param name="http">The HTTP context (the response is written directly).</param>
    /// <param name="dub">The dubbing pipeline.</param>
    /// <param name="formats">The response formats of this machine.</param>
    /// <param name="metrics">Request metrics.</param>
    /// <param name="options">Dubbing limits (size of an uploaded file).</param>
    internal static async Task Dub(HttpContext http, DubService dub, OutputFormats formats, F5TtsMetrics metrics, IOptions<DubOptions> options)
    {
        var started = Stopwatch.GetTimestamp();
        var request = await ReadAsync(http.Request, options.Value, http.RequestAborted);
        var format = formats.Find(request.Format, "format", "wav");
        if (await formats.RejectUnavailableAsync(http, format, "format"))
        {
            return;
        }

        SpeechResponder.ValidateSampleRate(format.Format, request.SampleRate);
        LoudnessTarget.Validate(request.LoudnessLufs, whole: true);
        var dubRequest = new DubRequest
        {
            Subtitles = request.Subtitles ?? throw TtsException.InvalidInput(SubtitlesRequired, SubtitleException.Field),
            Speakers = request.Speakers,
            Settings = new TtsRequest
            {
                Text = string.Empty,
                VoiceId = request.Voice,
                NfeSteps = request.NfeSteps,
                CfgStrength = request.CfgStrength,
                Sway = request.Sway,
                Seed = request.Seed,
                Normalize = request.Normalize,
            },
        };

        using var inflight = metrics.TrackInflight();
        DubResult result;
        try
        {
            result = await dub.DubAsync(dubRequest, http.RequestAborted);
        }
        catch (TtsException ex) when (ex.Kind == TtsErrorKind.Cancelled || http.RequestAborted.IsCancellationRequested)
        {
            metrics.RecordRequestFailure(TtsErrorKind.Cancelled);
            http.Response.StatusCode = StatusCodes.Status499ClientClosedRequest; // logged only: nobody reads it
            return;
        }

        LoudnessTarget.Apply(result.Audio, request.LoudnessLufs);
        using var body = new MemoryStream();
        await AudioEncoders.EncodeAsync(format.Format, result.Audio, body, new AudioEncoderSettings(result.SampleRate, request.SampleRate),
            http.RequestAborted);
        var total = Stopwatch.GetElapsedTime(started);
        SpeechResponder.SetTimingHeaders(http.Response, result.Timing, total, result.Audio.Length);
        metrics.RecordRequest(RequestOutcome.Success);
        metrics.RecordRequestDuration(format.Name, total);
        metrics.RecordAudio(TimeSpan.FromSeconds((double)result.Audio.Length / result.SampleRate), total - result.Timing.QueueWait);
        if (request.Report == true)
        {
            var report = DubReportResponse.From(result, format, request.SampleRate, body);
            await TypedResults.Json(report, statusCode: StatusCodes.Status200OK).ExecuteAsync(http);
            return;
        }

        http.Response.ContentType = format.ContentType;
        http.Response.ContentLength = body.Length;
        body.Position = 0;
        await body.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    /// <summary>The request from JSON or from a multipart form; anything else is 415.</summary>
    private static async Task<DubRequestDto> ReadAsync(HttpRequest request, DubOptions options, CancellationToken cancellationToken)
    {
        if (request.HasJsonContentType())
        {
            try
            {
                return await request.ReadFromJsonAsync<DubRequestDto>(cancellationToken)
                    ?? throw TtsException.InvalidInput(SubtitlesRequired, SubtitleException.Field);
            }
            catch (JsonException ex)
            {
                throw new BadHttpRequestException("The request body is not valid JSON.", StatusCodes.Status400BadRequest, ex);
            }
        }

        if (!request.HasFormContentType)
        {
            throw TtsException.WithCode(TtsErrorKind.UnsupportedMedia, "unsupported-content-type",
                "Send the subtitles as application/json, or as multipart/form-data with a 'subtitles' file.");
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(Form, cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            throw TtsException.InvalidInput($"The multipart form is malformed: {ex.Message}", SubtitleException.Field);
        }

        return new DubRequestDto
        {
            Subtitles = await SubtitlesOf(form, options, cancellationToken),
            Voice = Text(form, "voice"),
            Speakers = Speakers(Text(form, "speakers")),
            Format = Text(form, "format"),
            SampleRate = Integer(form, "sample_rate"),
            NfeSteps = Integer(form, "nfe_steps"),
            CfgStrength = (float?)Real(form, "cfg_strength"),
            Sway = (float?)Real(form, "sway"),
            Seed = Number(form, "seed"),
            Normalize = Flag(form, "normalize"),
            LoudnessLufs = Real(form, "loudness_lufs"),
            Report = Flag(form, "report"),
        };
    }

    private static async Task<string?> SubtitlesOf(IFormCollection form, DubOptions options, CancellationToken cancellationToken)
    {
        var file = form.Files.GetFile(SubtitleException.Field);
        if (file is null)
        {
            return Text(form, SubtitleException.Field);
        }

        // UTF-8 takes at most 4 bytes per UTF-16 character of the limit (3 per BMP character, 4 per surrogate pair).
        if (file.Length > (long)options.MaxSubtitleCharacters * 4)
        {
            throw TtsException.PayloadTooLarge(
                $"The subtitles file has {file.Length} bytes, more than the limit of {options.MaxSubtitleCharacters} characters allows " +
                "(F5Tts:Dub:MaxSubtitleCharacters).", SubtitleException.Field);
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw TtsException.InvalidInput("The subtitles file is not UTF-8 text.", SubtitleException.Field);
        }
    }

    private static string? Text(IFormCollection form, string name) => form.TryGetValue(name, out var value) ? value.ToString() : null;

    private static long? Number(IFormCollection form, string name) =>
        Text(form, name) is not { } text ? null
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw TtsException.InvalidInput($"{name} must be an integer.", name);

    private static int? Integer(IFormCollection form, string name) =>
        Number(form, name) is not { } value ? null
        : value is >= int.MinValue and <= int.MaxValue ? (int)value
        : throw TtsException.InvalidInput($"{name} is out of range.", name);

    private static double? Real(IFormCollection form, string name) =>
        Text(form, name) is not { } text ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw TtsException.InvalidInput($"{name} must be a number.", name);

    private static bool? Flag(IFormCollection form, string name) =>
        Text(form, name) is not { } text ? null
        : bool.TryParse(text, out var value) ? value : throw TtsException.InvalidInput($"{name} must be true or false.", name);

    private static Dictionary<string, string>? Speakers(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json);
        }
        catch (JsonException)
        {
            throw TtsException.InvalidInput("speakers must be a JSON object of speaker name → voice id, e.g. {\"Alice\": \"alice\"}.", "speakers");
        }
    }
}
