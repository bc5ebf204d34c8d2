using System.Globalization;
using System.Net;
using System.Text;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>Every failed /v1 request is counted once in f5tts_requests_total, with its problem type as the reason.</summary>
public sealed class RequestCountingTests(RequestCountingTests.Host host) : IClassFixture<RequestCountingTests.Host>
{
    public sealed class Host : F5TtsApiFactory;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("POST", "v1/tts", "{\"text\":", 400, "malformed-json")]
    [InlineData("POST", "v1/tts", "{\"text\":\"Hi\",\"nfe_steps\":0}", 400, "invalid-input")]
    [InlineData("GET", "v1/no-such-route", null, 404, "not-found")]
    [InlineData("GET", "v1/voices/no-such-voice", null, 404, "voice-not-found")]
    [InlineData("DELETE", "v1/voices/default", null, 409, "voice-read-only")]
    [InlineData("POST", "v1/tts", "{\"text\":\"Hi\"}", 415, "unsupported-content-type")]
    public async Task A_failed_request_is_counted_once_with_its_problem_type(string method, string path, string? body, int status, string reason)
    {
        using var client = host.CreateSocketClient();
        // A request that reaches synthesis before the warm-up ends is answered 503 not-ready, whatever its body.
        await Speech.WaitReadyAsync(client, Ct);
        var before = await CountAsync(client, reason);

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            // The 415 case sends JSON as text/plain.
            request.Content = new StringContent(body, Encoding.UTF8, status == 415 ? "text/plain" : "application/json");
        }

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Equal(before + 1, await CountAsync(client, reason));
    }

    private static async Task<double> CountAsync(HttpClient client, string reason)
    {
        var metrics = await client.GetStringAsync("metrics", Ct);
        return metrics.Split('\n')
            .Where(l => l.StartsWith("f5tts_requests_total{", StringComparison.Ordinal)
                && l.Contains($"reason=\"{reason}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
