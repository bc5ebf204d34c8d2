using System.Net;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests.Reliability;

/// <summary>
/// A table of malformed and abusive inputs against every endpoint (wrong JSON types and shapes, out-of-range
/// values, bad charsets and content types, broken forms and audio, bad ids, wrong methods, oversized URLs and
/// headers). Each must get a 4xx problem+json with a stable <c>urn:f5tts:problem:</c> type, never a 5xx, and the
/// service must be ready and synthesising afterwards.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class MalformedInputTests(MalformedInputTests.Host host) : IClassFixture<MalformedInputTests.Host>
{
    /// <summary>One host; a small body limit so 413 is cheap.</summary>
    public sealed class Host() : F5TtsApiFactory(new()
    {
        ["F5Tts:Server:MaxRequestBodyBytes"] = "262144",
        ["F5Tts:Audio:MaxReferenceBytes"] = "131072",
        ["F5Tts:Text:MaxCharacters"] = "500",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_malformed_input_gets_a_4xx_problem_and_the_service_stays_ready()
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        var cases = Cases().ToList();
        Assert.True(cases.Count >= 150, $"only {cases.Count} cases");

        var failures = new List<string>();
        foreach (var (name, make) in cases)
        {
            using var request = make();
            using var response = await client.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            if (status is < 400 or >= 500 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{name}: {status} {response.Content.Headers.ContentType} {Shorten(body)}");
                continue;
            }

            using var json = JsonDocument.Parse(body);
            var type = json.RootElement.GetProperty("type").GetString() ?? string.Empty;
            if (!type.StartsWith("urn:f5tts:problem:", StringComparison.Ordinal) || json.RootElement.GetProperty("status").GetInt32() != status)
            {
                failures.Add($"{name}: {status} type {type}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} inputs misanswered:\n{string.Join('\n', failures)}");

        using var ready = await client.GetAsync("health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var speech = await Speech.PostJsonAsync(client, "v1/tts", new { text = "Still here.", nfe_steps = 2, format = "pcm" }, Ct);
        Assert.Equal(HttpStatusCode.OK, speech.StatusCode);
        Assert.NotEmpty(await speech.Content.ReadAsByteArrayAsync(Ct));
    }

    private static IEnumerable<(string Name, Func<HttpRequestMessage> Make)> Cases()
    {
        string wav = Convert.ToBase64String(ProblemMappingTests.Wav(1.0));

        // POST /v1/tts: shapes, wrong types, out-of-range values.
        string[] ttsBodies =
        [
            "", " ", "{", "}", "[]", "[1,2]", "null", "42", "\"text\"", "true", "{\"text\":", "{\"text\":\"hi\"", "{'text':'hi'}",
            "{\"text\":\"hi\",}", "{\"text\":\"hi\"}{}", "{\"text\":hi}", "\u0000", "<xml/>",
            new string('[', 200) + new string(']', 200),
            "{\"text\":" + new string('[', 100) + new string(']', 100) + "}",
            "{\"text\":1}", "{\"text\":[]}", "{\"text\":{}}", "{\"text\":true}", "{\"text\":null}", "{}", "{\"voice\":\"default\"}",
            "{\"text\":\"\"}", "{\"text\":\"   \"}", "{\"text\":\"!!! ???\"}", "{\"text\":\"\\u0000\\u0001\"}",
            "{\"text\":\"" + new string('a', 600) + "\"}",
            "{\"text\":\"hi\",\"nfe_steps\":\"8\"}", "{\"text\":\"hi\",\"nfe_steps\":1.5}", "{\"text\":\"hi\",\"nfe_steps\":0}",
            "{\"text\":\"hi\",\"nfe_steps\":-1}", "{\"text\":\"hi\",\"nfe_steps\":100000}", "{\"text\":\"hi\",\"nfe_steps\":99999999999}",
            "{\"text\":\"hi\",\"nfe_steps\":true}", "{\"text\":\"hi\",\"nfe_steps\":[8]}",
            "{\"text\":\"hi\",\"speed\":\"1\"}", "{\"text\":\"hi\",\"speed\":0}", "{\"text\":\"hi\",\"speed\":-1}", "{\"text\":\"hi\",\"speed\":1e30}",
            "{\"text\":\"hi\",\"speed\":1e400}", "{\"text\":\"hi\",\"speed\":\"NaN\"}", "{\"text\":\"hi\",\"speed\":\"Infinity\"}",
            "{\"text\":\"hi\",\"cfg_strength\":\"2\"}", "{\"text\":\"hi\",\"cfg_strength\":1000}", "{\"text\":\"hi\",\"cfg_strength\":-5}",
            "{\"text\":\"hi\",\"sway\":\"x\"}", "{\"text\":\"hi\",\"seed\":\"7\"}", "{\"text\":\"hi\",\"seed\":1.5}", "{\"text\":\"hi\",\"seed\":1e100}",
            "{\"text\":\"hi\",\"format\":\"flac\"}", "{\"text\":\"hi\",\"format\":\"ogg-vorbis\"}", "{\"text\":\"hi\",\"format\":7}", "{\"text\":\"hi\",\"format\":\"WAV;\"}",
            "{\"text\":\"hi\",\"sample_rate\":0}", "{\"text\":\"hi\",\"sample_rate\":-8000}", "{\"text\":\"hi\",\"sample_rate\":1000000}",
            "{\"text\":\"hi\",\"sample_rate\":\"24000\"}", "{\"text\":\"hi\",\"sample_rate\":7999}", "{\"text\":\"hi\",\"format\":\"mp3\",\"sample_rate\":17000}",
            "{\"text\":\"hi\",\"stream\":\"yes\"}", "{\"text\":\"hi\",\"stream\":1}", "{\"text\":\"hi\",\"normalize\":\"true\"}",
            "{\"text\":\"hi\",\"voice\":\"nobody\"}", "{\"text\":\"hi\",\"voice\":\"../../etc/passwd\"}", "{\"text\":\"hi\",\"voice\":5}",
            "{\"text\":\"hi\",\"voice\":\"" + new string('v', 5000) + "\"}",
            "{\"text\":\"hi\",\"reference\":\"x\"}", "{\"text\":\"hi\",\"reference\":{}}", "{\"text\":\"hi\",\"reference\":{\"audio\":1}}",
            "{\"text\":\"hi\",\"reference\":{\"audio\":\"@@@\",\"text\":\"Hi.\"}}", "{\"text\":\"hi\",\"reference\":{\"audio\":\"aGVsbG8=\",\"text\":\"Hi.\"}}",
            "{\"text\":\"hi\",\"reference\":{\"audio\":\"UklGRg==\",\"text\":\"Hi.\"}}",
            "{\"text\":\"hi\",\"reference\":{\"audio\":\"" + wav + "\"}}", "{\"text\":\"hi\",\"reference\":{\"audio\":\"" + wav + "\",\"text\":\"\\u0001\"}}",
            "{\"text\":\"hi\",\"reference\":{\"audio\":\"" + wav + "\",\"text\":7}}",
        ];
        for (int i = 0; i < ttsBodies.Length; i++)
        {
            var body = ttsBodies[i];
            yield return ($"tts-body-{i}", () => Json("v1/tts", body));
        }

        // POST /v1/audio/speech (OpenAI shape).
        string[] speechBodies =
        [
            "", "{", "[]", "{}", "{\"input\":1}", "{\"input\":\"\"}", "{\"input\":null}", "{\"input\":\"hi\",\"speed\":\"1\"}",
            "{\"input\":\"hi\",\"speed\":100}", "{\"input\":\"hi\",\"speed\":0}", "{\"input\":\"hi\",\"response_format\":\"flac\"}",
            "{\"input\":\"hi\",\"response_format\":5}", "{\"input\":\"hi\",\"voice\":\"nobody\"}", "{\"input\":\"hi\",\"voice\":[]}",
            "{\"input\":\"hi\",\"model\":7}", "{\"input\":\"hi\",\"nfe_steps\":\"8\"}", "{\"input\":\"hi\",\"nfe_steps\":0}",
            "{\"input\":\"" + new string('b', 600) + "\"}", "{\"input\":\"...\"}",
        ];
        for (int i = 0; i < speechBodies.Length; i++)
        {
            var body = speechBodies[i];
            yield return ($"speech-body-{i}", () => Json("v1/audio/speech", body));
        }

        // POST /v1/tokenize.
        string[] tokenizeBodies = ["", "{", "[]", "{}", "{\"text\":1}", "{\"text\":null}", "{\"text\":\"" + new string('c', 600) + "\"}", "{\"text\":[\"a\"]}"];
        for (int i = 0; i < tokenizeBodies.Length; i++)
        {
            var body = tokenizeBodies[i];
            yield return ($"tokenize-body-{i}", () => Json("v1/tokenize", body));
        }

        // Charsets and content types on the JSON endpoints.
        foreach (var path in new[] { "v1/tts", "v1/audio/speech", "v1/tokenize" })
        {
            foreach (var contentType in new[]
            {
                "application/json; charset=klingon", "application/json; charset=utf-7", "application/json; charset=\"\"",
                "application/json; charset=x-unknown-42", "text/plain", "application/xml", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x", "application/json-patch+json; charset=ebcdic",
            })
            {
                yield return ($"{path}-content-type-{contentType}", () => Raw(HttpMethod.Post, path, "{\"text\":\"hi\",\"input\":\"hi\"}", contentType));
            }
        }

        // POST /v1/voices: forms, ids, names, transcripts, audio.
        yield return ("voices-json", () => Json("v1/voices", "{\"name\":\"x\"}"));
        yield return ("voices-no-content-type", () => Raw(HttpMethod.Post, "v1/voices", "name=x", null));
        yield return ("voices-urlencoded", () => Raw(HttpMethod.Post, "v1/voices", "name=x&transcript=y", "application/x-www-form-urlencoded"));
        yield return ("voices-form-no-boundary", () => Raw(HttpMethod.Post, "v1/voices", "--x\r\n", "multipart/form-data"));
        yield return ("voices-form-garbage", () => Raw(HttpMethod.Post, "v1/voices", "garbage", "multipart/form-data; boundary=x"));
        yield return ("voices-form-truncated", () => Raw(HttpMethod.Post, "v1/voices", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nval", "multipart/form-data; boundary=x"));
        yield return ("voices-form-charset", () => Raw(HttpMethod.Post, "v1/voices", "--x--\r\n", "multipart/form-data; boundary=x; charset=klingon"));
        yield return ("voices-form-long-boundary", () => Raw(HttpMethod.Post, "v1/voices", "--" + new string('b', 200) + "--\r\n", "multipart/form-data; boundary=" + new string('b', 200)));
        yield return ("voices-form-many-fields", () => ManyFields(80));
        yield return ("voices-missing-all", () => Form(null, null, null, null));
        yield return ("voices-missing-audio", () => Form("Name", "Words.", null, null));
        yield return ("voices-missing-name", () => Form(null, "Words.", ProblemMappingTests.Wav(1.0), null));
        yield return ("voices-missing-transcript", () => Form("Name", null, ProblemMappingTests.Wav(1.0), null));
        foreach (var id in new[] { "Bad_Id", "-x", "x-", "../x", "a/b", "a.b", "ÄÖ", "\u0001", new string('a', 65), "default", "CON", "a b" })
        {
            yield return ($"voices-id-{Shorten(id)}", () => Form("Name", "Words.", ProblemMappingTests.Wav(1.0), id));
        }

        foreach (var name in new[] { "\u0001", "\t", new string('n', 500) })
        {
            yield return ($"voices-name-{name.Length}", () => Form(name, "Words.", ProblemMappingTests.Wav(1.0), null));
        }

        foreach (var transcript in new[] { "\u0000\u0001\u0002", "...", "\u0007 bell", new string('t', 20_000) })
        {
            yield return ($"voices-transcript-{transcript.Length}", () => Form("Name", transcript, ProblemMappingTests.Wav(1.0), null));
        }

        var good = ProblemMappingTests.Wav(1.0);
        foreach (var (label, audio) in new (string, byte[])[]
        {
            ("empty", []), ("html", "<html></html>"u8.ToArray()), ("ogg", [.. "OggS"u8, .. new byte[64]]), ("riff-only", "RIFF"u8.ToArray()),
            ("truncated", good[..100]), ("silent", ProblemMappingTests.Wav(1.0, amplitude: 0)), ("too-short", ProblemMappingTests.Wav(0.1)),
            ("too-long", ProblemMappingTests.Wav(14.0, rate: 4_000)), ("too-large", ProblemMappingTests.Wav(5.0)), ("id3-only", "ID3\u0003\0\0\0\0\0\0"u8.ToArray()),
        })
        {
            yield return ($"voices-audio-{label}", () => Form("Name", "Words.", audio, null));
        }

        // Wrong methods and unknown paths.
        foreach (var (method, path) in new[]
        {
            ("GET", "v1/tts"), ("PUT", "v1/tts"), ("DELETE", "v1/tts"), ("GET", "v1/audio/speech"), ("PATCH", "v1/audio/speech"),
            ("GET", "v1/tokenize"), ("PUT", "v1/voices"), ("PATCH", "v1/voices/default"), ("POST", "v1/voices/default"),
            ("POST", "v1/models"), ("DELETE", "v1/models"), ("PATCH", "metrics"), ("DELETE", "metrics"), ("POST", "metrics"), ("PUT", "metrics"),
            ("POST", "health/live"), ("DELETE", "health/ready"), ("GET", "v2/tts"), ("GET", "nothing"), ("GET", "v1/voices/nobody"),
            ("DELETE", "v1/voices/nobody"), ("DELETE", "v1/voices/default"), ("GET", "v1/voices/..%2F..%2Fetc%2Fpasswd"), ("GET", "v1/voices/%2e%2e"),
            ("GET", "v1/voices/a%01b"), ("GET", "v1/voices/" + new string('x', 1000)), ("OPTIONS", "v1/tts"), ("TRACE", "v1/tts"),
        })
        {
            yield return ($"{method}-{Shorten(path)}", () => new HttpRequestMessage(new HttpMethod(method), path));
        }

        // Oversized request target, headers and body.
        yield return ("long-url", () => new HttpRequestMessage(HttpMethod.Get, "v1/voices/" + new string('u', 20_000)));
        yield return ("long-query", () => new HttpRequestMessage(HttpMethod.Get, "v1/models?q=" + new string('q', 20_000)));
        yield return ("many-headers", () => WithHeaders(150, 8));
        yield return ("huge-header", () => WithHeaders(1, 40_000));
        yield return ("big-headers", () => WithHeaders(20, 2_000));
        yield return ("body-over-limit", () => Json("v1/tts", "{\"text\":\"" + new string('z', 300_000) + "\"}"));
    }

    private static HttpRequestMessage Json(string path, string body) => Raw(HttpMethod.Post, path, body, "application/json");

    private static HttpRequestMessage Raw(HttpMethod method, string path, string body, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return new HttpRequestMessage(method, path) { Content = content };
    }

    private static HttpRequestMessage Form(string? name, string? transcript, byte[]? audio, string? id) =>
        new(HttpMethod.Post, "v1/voices") { Content = VoiceForms.Form(audio, name, transcript, id) };

    private static HttpRequestMessage ManyFields(int count)
    {
        var form = new MultipartFormDataContent();
        for (int i = 0; i < count; i++)
        {
            form.Add(new StringContent("v"), $"f{i}");
        }

        return new HttpRequestMessage(HttpMethod.Post, "v1/voices") { Content = form };
    }

    private static HttpRequestMessage WithHeaders(int count, int size)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "v1/voices/nobody");
        for (int i = 0; i < count; i++)
        {
            request.Headers.TryAddWithoutValidation($"X-Abuse-{i}", new string('h', size));
        }

        return request;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
