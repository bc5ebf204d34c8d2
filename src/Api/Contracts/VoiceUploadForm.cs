namespace F5Tts.Api.Contracts;

/// <summary>multipart/form-data fields of <c>POST /v1/voices</c> (documentation of the form; read by hand so that
/// size limits and malformed bodies get precise ProblemDetails).</summary>
public sealed class VoiceUploadForm
{
    /// <summary>Display name (required).</summary>
    /// <example>Swagger example</example>
    public string Name { get; set; } = string.Empty;

    /// <summary>Exact text spoken in the clip (required).</summary>
    /// <example>One two three four.</example>
    public string Transcript { get; set; } = string.Empty;

    /// <summary>Optional id (a-z, 0-9, '-'; 1–64 characters); derived from the name when omitted.</summary>
    /// <example>swagger-example</example>
    public string? Id { get; set; }

    /// <summary>Reference clip: WAV (PCM 8/16/24/32-bit or float, any rate/channels) or MP3, 0.5–12 s of speech.</summary>
    public IFormFile? Audio { get; set; }
}
