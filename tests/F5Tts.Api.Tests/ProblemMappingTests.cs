using System.Net;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The exact problem a client gets for each domain error (voice, audio, inline reference, text): status, type, title,
/// detail and the set of members. Written against the responses before the errors were folded into one exception
/// hierarchy mapped in one place, so it proves the fold changed no response.
/// </summary>
public sealed class ProblemMappingTests(ProblemMappingTests.Host host) : IClassFixture<ProblemMappingTests.Host>
{
    /// <summary>One host for the class; reference uploads limited to 64 KiB so 413 is cheap.</summary>
    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Audio:MaxReferenceBytes"] = "65536" });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int, string, string, string?, string?> Cases() => new()
    {
        // case, status, type suffix, title, detail prefix (null: no detail), parameter
        { "voice-get-unknown", 404, "voice-not-found", "voice not found", "Voice 'nobody' does not exist.", null },
        { "voice-delete-unknown", 404, "voice-not-found", "voice not found", "Voice 'nobody' does not exist.", null },
        { "voice-delete-default", 409, "voice-read-only", "voice read only", "The default voice is built in", null },
        { "voice-id-default", 409, "voice-exists", "voice exists", "A voice with id 'default' already exists.", null },
        // Refused by routing (the endpoint accepts only multipart/form-data): the status code pages answer.
        { "voice-not-a-form", 415, "unsupported-content-type", "Unsupported Media Type", null, null },
        { "voice-missing-audio", 400, "missing-audio", "missing audio", "The form field 'audio' (a file) is required.", null },
        { "voice-bad-id", 400, "invalid-voice-id", "invalid voice id", "Invalid voice id 'Bad_Id'", null },
        { "voice-no-name", 400, "invalid-voice-name", "invalid voice name", "The voice name is required", null },
        { "voice-no-transcript", 400, "invalid-transcript", "invalid transcript", "The transcript is required", null },
        { "voice-truncated-wav", 400, "malformed-audio", "malformed audio", "Invalid WAV", null },
        { "voice-html", 415, "unsupported-audio", "unsupported audio", "", null },
        { "voice-silent", 400, "reference-silent", "reference silent", "", null },
        { "voice-oversized", 413, "reference-too-large", "reference too large", "The upload is ", null },
        { "tts-unknown-voice", 404, "voice-not-found", "Not Found", "Voice 'nobody' does not exist.", "voice" },
        { "tts-reference-not-audio", 415, "unsupported-media", "Unsupported Media Type", "", "reference.audio" },
        { "tts-reference-truncated", 400, "invalid-input", "Bad Request", "Invalid WAV", "reference.audio" },
        { "tts-reference-not-base64", 400, "invalid-input", "Bad Request", "reference.audio is not valid base64.", "reference.audio" },
        { "tts-reference-no-text", 400, "invalid-input", "Bad Request", "reference.text must hold the transcript", "reference.text" },
        { "tts-no-text", 400, "invalid-input", "Bad Request", "text is required.", "text" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_domain_error_keeps_its_problem(string name, int status, string type, string title, string? detail, string? parameter)
    {
        using var client = host.CreateSocketClient();
        if (name.StartsWith("tts-", StringComparison.Ordinal))
        {
            await Speech.WaitReadyAsync(client, Ct);
        }

        using var request = Request(name);
        using var response = await client.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(status == (int)response.StatusCode, $"{name}: expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        var problem = json.RootElement;
        Assert.Equal($"urn:f5tts:problem:{type}", problem.GetProperty("type").GetString());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        if (detail is not null)
        {
            Assert.StartsWith(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(request.RequestUri!.AbsolutePath, problem.GetProperty("instance").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        var members = problem.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var expected = new List<string> { "instance", "status", "title", "traceId", "type" };
        if (detail is not null)
        {
            expected.Add("detail");
        }

        if (parameter is not null)
        {
            expected.Add("parameter");
            Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), members);
    }

    private static HttpRequestMessage Request(string name) => name switch
    {
        "voice-get-unknown" => new(HttpMethod.Get, "v1/voices/nobody"),
        "voice-delete-unknown" => new(HttpMethod.Delete, "v1/voices/nobody"),
        "voice-delete-default" => new(HttpMethod.Delete, "v1/voices/default"),
        "voice-id-default" => Upload(Wav(1.0), id: "default"),
        "voice-not-a-form" => new(HttpMethod.Post, "v1/voices") { Content = new StringContent("{}", Encoding.UTF8, "application/json") },
        "voice-missing-audio" => Upload(null),
        "voice-bad-id" => Upload(Wav(1.0), id: "Bad_Id"),
        "voice-no-name" => Upload(Wav(1.0), name: null),
        "voice-no-transcript" => Upload(Wav(1.0), transcript: null),
        "voice-truncated-wav" => Upload(Wav(1.0)[..1000]),
        "voice-html" => Upload("<html><body>not audio</body></html>"u8.ToArray()),
        "voice-silent" => Upload(Wav(1.0, amplitude: 0)),
        "voice-oversized" => Upload(Wav(3.0)), // 96 KB > 64 KiB
        "tts-unknown-voice" => Tts(new { text = "Hello.", voice = "nobody" }),
        "tts-reference-not-audio" => Tts(new { text = "Hello.", reference = new { audio = Convert.ToBase64String("<html></html>"u8), text = "Hi." } }),
        "tts-reference-truncated" => Tts(new { text = "Hello.", reference = new { audio = Convert.ToBase64String(Wav(1.0)[..1000]), text = "Hi." } }),
        "tts-reference-not-base64" => Tts(new { text = "Hello.", reference = new { audio = "@@@", text = "Hi." } }),
        "tts-reference-no-text" => Tts(new { text = "Hello.", reference = new { audio = Convert.ToBase64String(Wav(1.0)), text = "" } }),
        "tts-no-text" => Tts(new { voice = "default" }),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static HttpRequestMessage Tts(object body) =>
        new(HttpMethod.Post, "v1/tts") { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };

    private static HttpRequestMessage Upload(byte[]? audio, string? name = "Mapping", string? transcript = "Some words.", string? id = null) =>
        new(HttpMethod.Post, "v1/voices") { Content = VoiceForms.Form(audio, name, transcript, id) };

    /// <summary>A 16 kHz mono 16-bit sine clip.</summary>
    internal static byte[] Wav(double seconds, int rate = 16_000, double amplitude = 0.3) =>
        VoiceForms.Wav(seconds, rate, amplitude: amplitude);
}
