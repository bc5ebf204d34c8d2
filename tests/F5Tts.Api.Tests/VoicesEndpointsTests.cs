using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace F5Tts.Api.Tests;

/// <summary>/v1/voices through the real host (WebApplicationFactory, real Kestrel pipeline and middleware).</summary>
public sealed class VoicesEndpointsTests : IDisposable
{
    private const long ByteLimit = 256 * 1024;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "f5tts-voices-api-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebApplicationFactory<Program> NewHost() =>
        new F5Tts.Api.Tests.Infrastructure.F5TtsApiFactory(new Dictionary<string, string?>
        {
            ["F5Tts:Voices:Directory"] = _dir,
            ["F5Tts:Audio:MaxReferenceBytes"] = ByteLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    private static byte[] Wav(double seconds = 2.0, int rate = 16_000, double frequency = 330, double amplitude = 0.3) =>
        F5Tts.Api.Tests.Infrastructure.VoiceForms.Wav(seconds, rate, frequency, amplitude);

    private static MultipartFormDataContent Form(byte[]? audio, string? name = "Test voice", string? transcript = "Some words.", string? id = null) =>
        F5Tts.Api.Tests.Infrastructure.VoiceForms.Form(audio, name, transcript, id);

    private string[] StoredEntries() => Directory.Exists(_dir) ? Directory.GetFileSystemEntries(_dir) : [];

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)expected, json.GetProperty("status").GetInt32());
        Assert.StartsWith("urn:f5tts:problem:", json.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        return json;
    }

    [Fact]
    public async Task Upload_list_get_delete_round_trip()
    {
        await using var host = NewHost();
        using var client = host.CreateClient();

        using var created = await client.PostAsync("/v1/voices", Form(Wav(), name: "Narrator One", transcript: "Hello there."), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/voices/narrator-one", created.Headers.Location?.OriginalString);
        var voice = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("narrator-one", voice.GetProperty("id").GetString());
        Assert.Equal("Hello there.", voice.GetProperty("transcript").GetString());
        Assert.Equal(24_000, voice.GetProperty("sampleRate").GetInt32());
        Assert.InRange(voice.GetProperty("durationSeconds").GetDouble(), 1.98, 2.02);
        Assert.Equal("wav/pcm16", voice.GetProperty("sourceFormat").GetString());

        var list = await client.GetFromJsonAsync<JsonElement>("/v1/voices", Ct);
        Assert.Equal(["default", "narrator-one"], list.GetProperty("voices").EnumerateArray().Select(v => v.GetProperty("id").GetString()));

        var one = await client.GetFromJsonAsync<JsonElement>("/v1/voices/narrator-one", Ct);
        Assert.Equal("Narrator One", one.GetProperty("name").GetString());

        using var deleted = await client.DeleteAsync("/v1/voices/narrator-one", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAsync(await client.GetAsync("/v1/voices/narrator-one", Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await client.DeleteAsync("/v1/voices/narrator-one", Ct), HttpStatusCode.NotFound);
        Assert.Empty(StoredEntries());
    }

    [Fact]
    public async Task Default_voice_is_listed_and_cannot_be_deleted()
    {
        await using var host = NewHost();
        using var client = host.CreateClient();

        var voice = await client.GetFromJsonAsync<JsonElement>("/v1/voices/default", Ct);
        Assert.True(voice.GetProperty("readOnly").GetBoolean());
        Assert.Contains("quick brown fox", voice.GetProperty("transcript").GetString(), StringComparison.Ordinal);
        await ProblemAsync(await client.DeleteAsync("/v1/voices/default", Ct), HttpStatusCode.Conflict);
        await ProblemAsync(await client.PostAsync("/v1/voices", Form(Wav(), id: "default"), Ct), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Voice_survives_a_restart()
    {
        await using (var first = NewHost())
        {
            using var client = first.CreateClient();
            using var created = await client.PostAsync("/v1/voices", Form(Wav(amplitude: 0.02), id: "keeper", transcript: "Keep me."), Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await using var second = NewHost();
        using var client2 = second.CreateClient();
        var voice = await client2.GetFromJsonAsync<JsonElement>("/v1/voices/keeper", Ct);
        Assert.Equal("Keep me.", voice.GetProperty("transcript").GetString());
        Assert.True(voice.GetProperty("outputGain").GetSingle() < 0.2f); // the quiet clip's boost is remembered
    }

    public static TheoryData<string, int, string> Malformed() => new()
    {
        { "truncated", 400, "malformed-audio" },
        { "riff-size-too-big", 400, "malformed-audio" },
        { "data-size-too-big", 400, "malformed-audio" },
        { "zero-channels", 400, "malformed-audio" },
        { "huge-fmt", 400, "malformed-audio" },
        { "non-audio", 415, "unsupported-audio" },
        { "ogg", 415, "unsupported-audio" },
        { "too-long", 400, "reference-too-long" },
        { "silent", 400, "reference-silent" },
        { "oversized", 413, "reference-too-large" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Bad_uploads_are_refused_and_nothing_is_stored(string kind, int status, string code)
    {
        byte[] ok = Wav(1.0);
        byte[] audio = kind switch
        {
            "truncated" => ok[..(ok.Length / 2)],
            "riff-size-too-big" => Patch32(ok, 4, (uint)ok.Length + 100),
            "data-size-too-big" => Patch32(ok, 40, (uint)ok.Length * 3),
            "zero-channels" => Patch16(ok, 22, 0),
            "huge-fmt" => Patch32(ok, 16, 0x7FFF_FFF0),
            "non-audio" => "<html><body>not audio</body></html>"u8.ToArray(),
            "ogg" => [.. "OggS"u8, .. new byte[64]],
            "too-long" => Wav(13.0, rate: 8_000),
            "silent" => Wav(2.0, amplitude: 0),
            "oversized" => Wav(9.0, rate: 16_000), // 288 KB > 256 KiB
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await using var host = NewHost();
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/v1/voices", Form(audio, id: "bad"), Ct);

        var problem = await ProblemAsync(response, (HttpStatusCode)status);
        Assert.Equal($"urn:f5tts:problem:{code}", problem.GetProperty("type").GetString());
        Assert.Empty(StoredEntries());
        await ProblemAsync(await client.GetAsync("/v1/voices/bad", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Body_far_over_the_limit_is_refused_before_reading()
    {
        await using var host = NewHost();
        using var client = host.CreateClient();
        using var response = await client.PostAsync("/v1/voices", Form(new byte[4 * 1024 * 1024]), Ct);
        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(StoredEntries());
    }

    [Fact]
    public async Task Form_errors_are_400_or_415()
    {
        await using var host = NewHost();
        using var client = host.CreateClient();

        // The endpoint declares multipart/form-data (Accepts metadata, shown in Swagger), so routing itself answers 415;
        // the body becomes ProblemDetails once the host adds AddProblemDetails/UseStatusCodePages.
        using var json = await client.PostAsJsonAsync("/v1/voices", new { name = "x" }, Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("urn:f5tts:problem:missing-audio",
            (await ProblemAsync(await client.PostAsync("/v1/voices", Form(null), Ct), HttpStatusCode.BadRequest)).GetProperty("type").GetString());
        Assert.Equal("urn:f5tts:problem:invalid-transcript",
            (await ProblemAsync(await client.PostAsync("/v1/voices", Form(Wav(), transcript: null), Ct), HttpStatusCode.BadRequest)).GetProperty("type").GetString());
        Assert.Equal("urn:f5tts:problem:invalid-voice-name",
            (await ProblemAsync(await client.PostAsync("/v1/voices", Form(Wav(), name: null), Ct), HttpStatusCode.BadRequest)).GetProperty("type").GetString());
        foreach (string id in new[] { "../../etc", "..", "a/b", "UP", "x.wav" })
        {
            Assert.Equal("urn:f5tts:problem:invalid-voice-id",
                (await ProblemAsync(await client.PostAsync("/v1/voices", Form(Wav(), id: id), Ct), HttpStatusCode.BadRequest)).GetProperty("type").GetString());
        }

        Assert.Empty(StoredEntries());
    }

    [Fact]
    public async Task Duplicate_id_is_a_conflict()
    {
        await using var host = NewHost();
        using var client = host.CreateClient();
        using var first = await client.PostAsync("/v1/voices", Form(Wav(), id: "twin"), Ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await ProblemAsync(await client.PostAsync("/v1/voices", Form(Wav(), id: "twin"), Ct), HttpStatusCode.Conflict);
        Assert.Single(StoredEntries());
    }

    private static byte[] Patch32(byte[] source, int offset, uint value)
    {
        var copy = (byte[])source.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    private static byte[] Patch16(byte[] source, int offset, ushort value)
    {
        var copy = (byte[])source.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }
}

public sealed class AudioOptionsStartupTests
{
    [Theory]
    [InlineData("F5Tts:Audio:MaxReferenceSeconds", "0")]
    [InlineData("F5Tts:Audio:MinReferenceSeconds", "11.5")]
    [InlineData("F5Tts:Audio:MaxReferenceBytes", "10")]
    [InlineData("F5Tts:Voices:Directory", "")]
    public void Invalid_audio_settings_stop_startup_naming_the_key(string key, string value)
    {
        // Through F5TtsApiFactory: its start gate makes a failed start surface the validation error, never the
        // ObjectDisposedException of a host that Program disposed first (the start-failure race, see StartGate).
        using var host = new F5Tts.Api.Tests.Infrastructure.F5TtsApiFactory(new Dictionary<string, string?>
        {
            [key] = value,
            ["F5Tts:Audio:MaxReferenceSeconds"] = key.EndsWith("MinReferenceSeconds", StringComparison.Ordinal) ? "11" : (key.EndsWith("MaxReferenceSeconds", StringComparison.Ordinal) ? value : "12"),
        });

        var ex = Assert.ThrowsAny<Exception>(host.StartServer);
        string name = key.Split(':')[^1];
        Assert.Contains(name, ex.ToString(), StringComparison.Ordinal);
    }
}
