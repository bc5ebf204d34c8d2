using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The abuse probe's defects, each reproduced through the real host on real Kestrel: charsets, form limits, ids
/// colliding with files, unspeakable transcripts, Kestrel's own limits, JSON number types, /metrics methods and the
/// connection limit. Every refusal is a 4xx problem+json with a stable type.
/// </summary>
public sealed class AbuseTests(AbuseTests.Host host) : IClassFixture<AbuseTests.Host>
{
    /// <summary>One host for the class, with a voices directory the tests can put files into.</summary>
    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Voices:Directory"] = VoicesDirectory, ["F5Tts:Server:MaxConcurrentConnections"] = "8" })
    {
        public static readonly string VoicesDirectory = Path.Combine(Path.GetTempPath(), $"f5tts-abuse-voices-{Guid.NewGuid():N}");

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && Directory.Exists(VoicesDirectory))
            {
                Directory.Delete(VoicesDirectory, recursive: true);
            }
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("v1/tts", """{"text":"hi"}""", "klingon")]
    [InlineData("v1/tts", """{"text":"hi"}""", "utf-7")]
    [InlineData("v1/audio/speech", """{"input":"hi"}""", "klingon")]
    [InlineData("v1/audio/speech", """{"input":"hi"}""", "utf-7")]
    [InlineData("v1/tokenize", """{"text":"hi"}""", "klingon")]
    [InlineData("v1/tokenize", """{"text":"hi"}""", "\"utf-7\"")]
    public async Task Unknown_charset_is_415_not_500(string path, string body, string charset)
    {
        using var client = host.CreateSocketClient();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");
        using var response = await client.PostAsync(path, content, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-content-type");
        Assert.Contains("charset", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fields")]
    [InlineData("boundary")]
    [InlineData("part-header")]
    public async Task Form_limit_errors_are_400_malformed_form_naming_the_limits(string broken)
    {
        using var client = host.CreateSocketClient();
        using var content = BrokenForm(broken);
        Assert.True(content.Headers.ContentLength < 64 * 1024, "the body is small: this is not a size problem");
        using var response = await client.PostAsync("v1/voices", content, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "malformed-form");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("64 fields", detail, StringComparison.Ordinal);
        Assert.Contains("128 characters of boundary", detail, StringComparison.Ordinal);
        Assert.Contains("16384 bytes of headers per part", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_file_named_like_an_id_is_a_conflict_and_never_a_500()
    {
        Directory.CreateDirectory(Host.VoicesDirectory);
        await File.WriteAllTextAsync(Path.Combine(Host.VoicesDirectory, "squatter"), "not a voice", Ct);
        using var client = host.CreateSocketClient();

        using var explicitId = await client.PostAsync("v1/voices", Upload("Someone", id: "squatter"), Ct);
        await ProblemAsync(explicitId, HttpStatusCode.Conflict, "voice-exists");

        // A derived id steps around the file.
        using var derived = await client.PostAsync("v1/voices", Upload("Squatter"), Ct);
        Assert.Equal(HttpStatusCode.Created, derived.StatusCode);
        using var json = JsonDocument.Parse(await derived.Content.ReadAsStringAsync(Ct));
        Assert.Equal("squatter-2", json.RootElement.GetProperty("id").GetString());
        Assert.Equal("not a voice", await File.ReadAllTextAsync(Path.Combine(Host.VoicesDirectory, "squatter"), Ct));
    }

    [Theory]
    [InlineData("\u0000\u0001\u0002")]
    [InlineData("\u0001 hello")]
    [InlineData("...!?")]
    public async Task Stored_transcripts_need_speakable_text(string transcript)
    {
        using var client = host.CreateSocketClient();
        using var response = await client.PostAsync("v1/voices", Upload("Mute", transcript: transcript), Ct);

        await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-transcript");
    }

    [Theory]
    [InlineData("\u0001\u0002")]
    [InlineData("   ")]
    [InlineData("--")]
    public async Task Inline_transcripts_need_speakable_text(string text)
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        var body = new { text = "Hello.", reference = new { audio = Convert.ToBase64String(ProblemMappingTests.Wav(1.0)), text } };
        using var response = await Speech.PostJsonAsync(client, "v1/tts", body, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-input");
        Assert.Equal("reference.text", problem.GetProperty("parameter").GetString());
    }

    [Theory]
    [InlineData("v1/tts", """{"text":"hi","nfe_steps":"8"}""")]
    [InlineData("v1/tts", """{"text":"hi","speed":"1.0"}""")]
    [InlineData("v1/tts", """{"text":"hi","seed":"7"}""")]
    [InlineData("v1/audio/speech", """{"input":"hi","speed":"1"}""")]
    public async Task Numbers_sent_as_strings_are_malformed_json(string path, string body)
    {
        using var client = host.CreateSocketClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content, Ct);

        await ProblemAsync(response, HttpStatusCode.BadRequest, "malformed-json");
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("POST")]
    [InlineData("PUT")]
    public async Task Metrics_answers_only_get_and_head(string method)
    {
        using var client = host.CreateSocketClient();
        using var refused = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "metrics"), Ct);
        await ProblemAsync(refused, HttpStatusCode.MethodNotAllowed, "method-not-allowed");

        using var get = await client.GetAsync("metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "metrics"), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task A_long_url_is_414_problem()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync("v1/voices/" + new string('a', 60_000), Ct);

        await ProblemAsync(response, HttpStatusCode.RequestUriTooLong, "uri-too-long");
    }

    [Theory]
    [InlineData(150, 10)]     // too many
    [InlineData(10, 8_000)]   // too large
    public async Task Too_many_or_too_large_headers_are_431_problem(int count, int size)
    {
        using var client = host.CreateSocketClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        for (int i = 0; i < count; i++)
        {
            request.Headers.TryAddWithoutValidation($"X-Junk-{i}", new string('x', size));
        }

        using var response = await client.SendAsync(request, Ct);

        await ProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large");
    }

    [Theory]
    [InlineData("GET /v1/%00 HTTP/1.1\r\nHost: x\r\n\r\n")]           // Kestrel rejects a decoded NUL in the path
    [InlineData("GET /v1/models HTTP/1.1 junk\r\nHost: x\r\n\r\n")]   // malformed request line
    [InlineData("GET /v1/models HTTP/1.1\r\nHost x\r\n\r\n")]         // malformed header line
    public async Task Requests_kestrel_rejects_itself_get_a_400_problem(string request)
    {
        using var tcp = await OpenAsync();
        var (status, headers, body) = await ExchangeAsync(tcp, request);

        Assert.Equal(400, status);
        Assert.Contains("Content-Type: application/problem+json", headers, StringComparison.OrdinalIgnoreCase);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("urn:f5tts:problem:bad-request", problem.GetProperty("type").GetString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task A_keep_alive_connection_after_an_application_error_is_not_rewritten()
    {
        // Two pipelined requests on one connection: the application's own 404 (with its body) and a 200 that follows
        // it arrive unchanged, framed as the application sent them.
        using var tcp = await OpenAsync();
        var (status, headers, body) = await ExchangeAsync(tcp, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(404, status);
        Assert.Contains("urn:f5tts:problem:not-found", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Connection: close", headers, StringComparison.OrdinalIgnoreCase);

        (status, _, body) = await ExchangeAsync(tcp, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, status);
        Assert.DoesNotContain("problem", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_and_the_limit_frees_up()
    {
        // The host allows 8. Hold answered keep-alive connections open until one is closed unanswered; connections of
        // earlier tests the server has not yet seen closed may take slots too, so at most 8 are answered.
        var held = new List<TcpClient>();
        try
        {
            int answered = 0;
            for (int i = 0; i < 20; i++)
            {
                held.Add(await OpenAsync());
                var status = (await ExchangeAsync(held[^1], "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")).Status;
                if (status == 0)
                {
                    break;
                }

                Assert.Equal(200, status);
                answered++;
            }

            Assert.InRange(answered, 1, 8);
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }

        // Closing them frees the slots (polled: the server notices the closes asynchronously).
        using var client = host.CreateSocketClient();
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("health/live", Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50, Ct);
            }
        }
    }

    internal static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal($"urn:f5tts:problem:{type}", problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static MultipartFormDataContent Upload(string name, string transcript = "Some words.", string? id = null) =>
        VoiceForms.Form(VoiceForms.Wav(1.0), name, transcript, id);

    private static ByteArrayContent BrokenForm(string broken)
    {
        string boundary = broken == "boundary" ? new string('b', 200) : "xyz";
        var body = new StringBuilder();
        int fields = broken == "fields" ? 70 : 2;
        for (int i = 0; i < fields; i++)
        {
            body.Append("--").Append(boundary).Append("\r\nContent-Disposition: form-data; name=\"f").Append(i).Append("\"\r\n");
            if (broken == "part-header" && i == 0)
            {
                body.Append("X-Big: ").Append(new string('h', 20_000)).Append("\r\n");
            }

            body.Append("\r\nvalue\r\n");
        }

        body.Append("--").Append(boundary).Append("--\r\n");
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body.ToString()));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        return content;
    }

    private async Task<TcpClient> OpenAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port, Ct);
        return tcp;
    }

    /// <summary>Sends raw bytes and reads one response's head and body (status 0: the server closed without one).</summary>
    internal static async Task<(int Status, string Headers, string Body)> ExchangeAsync(TcpClient tcp, string request)
    {
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
        var buffer = new byte[64 * 1024];
        var received = new StringBuilder();
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, Ct);
                if (n == 0)
                {
                    break;
                }

                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
                var text = received.ToString();
                int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0 && ContentLength(text[..end]) is { } length ? text.Length - end - 4 >= length : text.EndsWith("0\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // reset by the server: whatever arrived is the answer
        }

        var all = received.ToString();
        if (all.Length == 0)
        {
            return (0, string.Empty, string.Empty);
        }

        int split = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split >= 0 ? all[..split] : all;
        return (int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head, split >= 0 ? all[(split + 4)..] : string.Empty);
    }

    private async Task<(int Status, string Headers, string Body)> RawAsync(string request)
    {
        using var tcp = await OpenAsync();
        return await ExchangeAsync(tcp, request);
    }

    private static int? ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
