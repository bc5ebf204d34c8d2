using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// Graceful shutdown of the real service process (what Kubernetes does to a pod): on SIGTERM it stops admitting —
/// new synthesis requests and readiness get 503 — while the request in flight finishes, then the process exits 0.
/// </summary>
public sealed class DrainTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_during_a_request_lets_it_finish_while_new_requests_get_503()
    {
        var voices = Directory.CreateTempSubdirectory("f5tts-drain-voices-");
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["F5Tts__Voices__Directory"] = voices.FullName,
            ["F5Tts__Server__ShutdownTimeoutSeconds"] = "900",
            ["F5Tts__Batching__RequestTimeoutSeconds"] = "3600", // the long request may take minutes on a busy machine
            ["Serilog__MinimumLevel__Default"] = "Warning",
        });
        var process = service.Process;
        var port = service.Port;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(15) }; // a hang guard, not a speed limit
            await WaitUntilAsync(async () =>
            {
                try
                {
                    using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative), Ct);
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            });

            // Long enough (several chunks of 64 steps) to still be running while the drain is observed below.
            var text = string.Join(' ', Enumerable.Repeat("This long request must finish even though the service is being stopped.", 10));
            var inFlight = client.PostAsJsonAsync(new Uri("v1/tts", UriKind.Relative), new { text, nfe_steps = 64, seed = 1, format = "pcm" }, Ct);
            // Admitted, not merely received: in flight counts a request from its first byte, while its text front-end
            // and reference still run and it could be refused by a drain that begins now (on a busy machine that
            // window is long). A Transformer call means every chunk of it holds a slot in the queue.
            await WaitUntilAsync(async () =>
            {
                var metrics = await client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);
                return metrics.Contains("f5tts_batch_size_count", StringComparison.Ordinal)
                    && TtsEndpointTests.MetricValue(metrics, "f5tts_batch_size_count") >= 1;
            });

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(Ct);
            }

            // The drain has begun once readiness says so (SIGTERM is handled asynchronously: a request sent before
            // that would still be admitted and queue behind the long one).
            await WaitUntilAsync(async () =>
            {
                using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative), Ct);
                return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
            });

            // During the drain the server still answers, but refuses new work at once.
            using (var refused = await client.PostAsJsonAsync(new Uri("v1/tts", UriKind.Relative), new { text = "Too late.", nfe_steps = 4 }, Ct))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.True(refused.Headers.RetryAfter is not null, "503 without Retry-After");
            }

            using var finished = await inFlight;
            Assert.False(inFlight.IsFaulted);
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
            var pcm = await finished.Content.ReadAsByteArrayAsync(Ct);
            Assert.True(pcm.Length > 24_000 * 2, $"only {pcm.Length} bytes of audio");

            using var exit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            exit.CancelAfter(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            voices.Delete(recursive: true);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // Synchronisation with the process, not a timing assertion; the bound only keeps a broken build from hanging.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

}
