using System.Net;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// Overload through the real host: with a tiny queue, a burst of concurrent requests gets only 200 or 429 with
/// Retry-After — never a 5xx or a lost request — and every accepted request returns complete audio. The metrics
/// exposition after the burst (with rejected and successful outcomes) still passes promtool.
/// </summary>
public sealed class OverloadTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Batching:MaxBatchSize"] = "1",
        ["F5Tts:Batching:QueueCapacity"] = "2",
        ["F5Tts:Batching:MaxWaitMilliseconds"] = "0",
        ["F5Tts:Batching:RetryAfterSeconds"] = "2",
    });

    private readonly HttpClient _client;

    public OverloadTests() => _client = _factory.CreateSocketClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task A_burst_beyond_the_queue_gets_only_200_or_429_and_every_accepted_request_completes()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        const int burst = 16;
        var responses = await Task.WhenAll(Enumerable.Range(0, burst).Select(i =>
            Speech.PostJsonAsync(_client, "v1/tts", new { text = "Overload test sentence number " + i + ".", nfe_steps = 24, seed = i, format = "pcm" }, Ct)));

        var accepted = 0;
        var rejected = 0;
        foreach (var response in responses)
        {
            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        accepted++;
                        var pcm = await response.Content.ReadAsByteArrayAsync(Ct);
                        Assert.Equal(Speech.HeaderNumber(response, "X-Audio-Duration"), pcm.Length / 2 / 24_000.0, 3);
                        break;
                    case HttpStatusCode.TooManyRequests:
                        rejected++;
                        // The predicted wait, at least RetryAfterSeconds (2) and at most MaxRetryAfterSeconds (default 120).
                        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 2, 120);
                        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                        break;
                    default:
                        Assert.Fail($"unexpected {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
                        break;
                }
            }
        }

        // One running plus two waiting can be admitted at any moment; the burst arrives far faster than 24 steps.
        Assert.True(accepted >= 1 && rejected >= 1, $"accepted {accepted}, rejected {rejected}");
        var metrics = await _client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);
        Assert.Equal(accepted, TtsEndpointTests.MetricValue(metrics, "f5tts_requests_total", "outcome=\"success\""));
        Assert.Equal(rejected, TtsEndpointTests.MetricValue(metrics, "f5tts_requests_total", "reason=\"queue-full\""));
        Assert.Equal(0, TtsEndpointTests.MetricValue(metrics, "f5tts_queue_depth"));

        var promtool = ExternalTool.Require("promtool", "prometheus");
        var check = await ExternalTool.RunAsync(promtool, ["check", "metrics"], metrics, TimeSpan.FromMinutes(2), Ct);
        Assert.True(check.ExitCode == 0, $"promtool: {check.StdOut}{check.StdErr}");
    }
}
