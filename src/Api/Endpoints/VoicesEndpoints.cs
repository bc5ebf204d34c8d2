using F5Tts.Api.Contracts;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using F5Tts.Inference.Voices;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Endpoints;

/// <summary>The voice library: <c>/v1/voices</c>.</summary>
public static class VoicesEndpoints
{
    // Room for the multipart boundaries, headers and the text fields around the audio file.
    private const long FormOverheadBytes = 256 * 1024;

    /// <summary>Maps GET/POST <c>/v1/voices</c> and GET/DELETE <c>/v1/voices/{id}</c>.</summary>
    public static IEndpointRouteBuilder MapVoicesEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/voices").WithTags("Voices");
        group.MapGet("/", ListVoices).WithName("ListVoices");
        group.MapGet("/{id}", GetVoice).WithName("GetVoice").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/", CreateVoice)
            .WithName("CreateVoice")
            .Accepts<VoiceUploadForm>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{id}", DeleteVoice)
            .WithName("DeleteVoice")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>Lists every voice: the built-in <c>default</c> voice first, then uploaded voices by id.</summary>
    internal static Ok<VoiceListResponse> ListVoices(IVoiceRegistry registry) =>
        TypedResults.Ok(new VoiceListResponse(registry.List().Select(VoiceResponse.From).ToList()));

    /// <summary>Returns one voice.</summary>
    /// <param name="id">Voice id.</param>
    /// <param name="registry">The voice library.</param>
    internal static Results<Ok<VoiceResponse>, ProblemHttpResult> GetVoice(string id, IVoiceRegistry registry) =>
        registry.TryGet(id, out var voice)
            ? TypedResults.Ok(VoiceResponse.From(voice))
            : NotFound(id);

    /// <summary>
    /// Uploads a reference voice as multipart/form-data with fields <c>name</c>, <c>transcript</c>, <c>audio</c> (file)
    /// and optional <c>id</c>. The clip (WAV in any PCM/float layout, rate and channel count, or MP3; at most 12 s of
    /// speech by default) is converted to 24 kHz mono, silence-trimmed and level-normalised, then stored.
    /// Returns 201 with the voice; 400 malformed input, 409 id taken, 413 too large, 415 unsupported format.
    /// </summary>
    internal static async Task<Results<Created<VoiceResponse>, ProblemHttpResult>> CreateVoice(
        HttpRequest request,
        IVoiceRegistry registry,
        IOptionsMonitor<AudioOptions> audioOptions,
        CancellationToken cancellationToken)
    {
        long maxAudio = audioOptions.CurrentValue.MaxReferenceBytes;
        long maxBody = maxAudio + FormOverheadBytes;
        if (!request.HasFormContentType)
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-content-type",
                "Send the voice as multipart/form-data with fields name, transcript and audio (file).");
        }

        if (request.ContentLength > maxBody)
        {
            return TooLarge(request.ContentLength.Value, maxAudio);
        }

        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = maxBody;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(
                new FormOptions { MultipartBodyLengthLimit = maxBody, ValueLengthLimit = 1024 * 1024, ValueCountLimit = 64 },
                cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(null, maxAudio);
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return TooLarge(null, maxAudio);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            return Problem(StatusCodes.Status400BadRequest, "malformed-form", "The multipart/form-data body could not be read.");
        }

        var file = form.Files.GetFile("audio");
        if (file is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "missing-audio", "The form field 'audio' (a file) is required.");
        }

        if (file.Length > maxAudio)
        {
            return TooLarge(file.Length, maxAudio);
        }

        byte[] bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        string? id = form.TryGetValue("id", out var idValue) && !string.IsNullOrWhiteSpace(idValue) ? idValue.ToString().Trim() : null;
        var upload = new VoiceUpload(id, form["name"].ToString(), form["transcript"].ToString(), bytes);
        try
        {
            var voice = await registry.CreateAsync(upload, cancellationToken);
            return TypedResults.Created($"/v1/voices/{voice.Id}", VoiceResponse.From(voice));
        }
        catch (AudioRequestException ex)
        {
            return ToProblem(ex);
        }
    }

    /// <summary>Deletes an uploaded voice (204); 404 when unknown, 409 for the built-in voice.</summary>
    /// <param name="id">Voice id.</param>
    /// <param name="registry">The voice library.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteVoice(
        string id, IVoiceRegistry registry, CancellationToken cancellationToken)
    {
        try
        {
            return await registry.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : NotFound(id);
        }
        catch (AudioRequestException ex)
        {
            return ToProblem(ex);
        }
    }

    /// <summary>Maps an audio/voice refusal to RFC 9457 ProblemDetails (stable <c>type</c> per cause).</summary>
    internal static ProblemHttpResult ToProblem(AudioRequestException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        int status = ex.Kind switch
        {
            AudioErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
            AudioErrorKind.UnsupportedFormat => StatusCodes.Status415UnsupportedMediaType,
            AudioErrorKind.NotFound => StatusCodes.Status404NotFound,
            AudioErrorKind.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        };
        return Problem(status, ex.Code, ex.Message);
    }

    private static ProblemHttpResult NotFound(string id) =>
        Problem(StatusCodes.Status404NotFound, "voice-not-found",
            $"Voice '{(id.Length > 80 ? id[..80] + "…" : id)}' does not exist.");

    private static ProblemHttpResult TooLarge(long? size, long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "reference-too-large",
            size is { } s
                ? $"The upload is {s} bytes; the reference audio may be at most {limit} bytes ({AudioOptions.SectionName}:MaxReferenceBytes)."
                : $"The upload exceeds the reference audio limit of {limit} bytes ({AudioOptions.SectionName}:MaxReferenceBytes).");

    private static ProblemHttpResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(
            statusCode: status,
            title: code.Replace('-', ' '),
            detail: detail,
            type: $"urn:f5tts:problem:{code}");
}
