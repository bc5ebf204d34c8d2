using System.Globalization;
using F5Tts.Api.Contracts;
using F5Tts.Inference.Errors;
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

    // The form limits of an upload. The body length is not among them: Kestrel's per-request body limit (set below)
    // refuses an oversized body first, as a 413 of its own, so every error of the form reader is a malformed form.
    private static readonly FormOptions UploadForm = new()
    {
        MultipartBodyLengthLimit = long.MaxValue,
        ValueLengthLimit = 1024 * 1024,
        ValueCountLimit = 64,
    };

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
    internal static Ok<VoiceResponse> GetVoice(string id, IVoiceRegistry registry) =>
        registry.TryGet(id, out var voice)
            ? TypedResults.Ok(VoiceResponse.From(voice))
            : throw NotFound(id);

    /// <summary>
    /// Uploads a reference voice as multipart/form-data with fields <c>name</c>, <c>transcript</c>, <c>audio</c> (file)
    /// and optional <c>id</c>. The clip (WAV in any PCM/float layout, rate and channel count, MP3, FLAC or Opus in Ogg/WebM; at most 12 s of
    /// speech by default) is converted to 24 kHz mono, silence-trimmed and level-normalised, then stored.
    /// Returns 201 with the voice; 400 malformed input, 409 id taken, 413 too large, 415 unsupported format.
    /// </summary>
    internal static async Task<Created<VoiceResponse>> CreateVoice(
        HttpRequest request,
        IVoiceRegistry registry,
        IOptionsMonitor<AudioOptions> audioOptions,
        CancellationToken cancellationToken)
    {
        long maxAudio = audioOptions.CurrentValue.MaxReferenceBytes;
        long maxBody = maxAudio + FormOverheadBytes;
        if (!request.HasFormContentType)
        {
            throw TtsException.WithCode(TtsErrorKind.UnsupportedMedia, "unsupported-content-type",
                "Send the voice as multipart/form-data with fields name, transcript and audio (file).");
        }

        if (request.ContentLength > maxBody)
        {
            throw TooLarge(request.ContentLength.Value, maxAudio);
        }

        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = maxBody;
        }

        var form = await ReadFormAsync(request, maxAudio, cancellationToken);
        var file = form.Files.GetFile("audio")
            ?? throw TtsException.WithCode(TtsErrorKind.InvalidInput, "missing-audio", "The form field 'audio' (a file) is required.");
        if (file.Length > maxAudio)
        {
            throw TooLarge(file.Length, maxAudio);
        }

        byte[] bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        string? id = form.TryGetValue("id", out var idValue) && !string.IsNullOrWhiteSpace(idValue) ? idValue.ToString().Trim() : null;
        var upload = new VoiceUpload(id, form["name"].ToString(), form["transcript"].ToString(), bytes);
        var voice = await registry.CreateAsync(upload, cancellationToken);
        return TypedResults.Created($"/v1/voices/{voice.Id}", VoiceResponse.From(voice));
    }

    /// <summary>Deletes an uploaded voice (204); 404 when unknown, 409 for the built-in voice.</summary>
    /// <param name="id">Voice id.</param>
    /// <param name="registry">The voice library.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<NoContent> DeleteVoice(string id, IVoiceRegistry registry, CancellationToken cancellationToken) =>
        await registry.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : throw NotFound(id);

    private static async Task<IFormCollection> ReadFormAsync(HttpRequest request, long maxAudio, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFormAsync(UploadForm, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(null, maxAudio);
        }
        catch (Exception ex) when (ex is InvalidDataException
            || ex is BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest }
            || (ex is IOException && ex is not BadHttpRequestException))
        {
            // The form reader says which limit broke only in its message; the detail lists them all instead.
            throw new TtsException(TtsErrorKind.InvalidInput, MalformedFormDetail, innerException: ex, code: "malformed-form");
        }
    }

    private static readonly string MalformedFormDetail = string.Create(CultureInfo.InvariantCulture,
        $"The multipart/form-data body could not be read: it is malformed or breaks a form limit (at most {UploadForm.ValueCountLimit} fields, " +
        $"{UploadForm.MultipartBoundaryLengthLimit} characters of boundary, {UploadForm.MultipartHeadersCountLimit} headers " +
        $"and {UploadForm.MultipartHeadersLengthLimit} bytes of headers per part, {UploadForm.ValueLengthLimit} bytes per text field).");

    private static TtsException NotFound(string id) =>
        TtsException.WithCode(TtsErrorKind.VoiceNotFound, "voice-not-found",
            $"Voice '{(id.Length > 80 ? id[..80] + "…" : id)}' does not exist.");

    private static TtsException TooLarge(long? size, long limit) =>
        TtsException.WithCode(TtsErrorKind.PayloadTooLarge, "reference-too-large",
            size is { } s
                ? $"The upload is {s} bytes; the reference audio may be at most {limit} bytes ({AudioOptions.SectionName}:MaxReferenceBytes)."
                : $"The upload exceeds the reference audio limit of {limit} bytes ({AudioOptions.SectionName}:MaxReferenceBytes).");
}
