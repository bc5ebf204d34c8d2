using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// deploy/grafana/f5tts-dashboard.json against the real thing: a Prometheus server (the installed binary) scrapes the
/// running service every second while it synthesises, and every panel's PromQL must return data from it — a misspelt
/// metric or label, a missing <c>_bucket</c> or <c>_total</c>, or a wrong aggregation returns nothing or an error.
/// </summary>
public sealed class DashboardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<(string Panel, string Expr)> PanelQueries()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "grafana", "f5tts-dashboard.json")));
        var list = new List<(string Panel, string Expr)>();
        foreach (var panel in json.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                list.Add((panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
            }
        }

        return list;
    }

    [Fact]
    public async Task Every_panel_query_returns_data_from_a_Prometheus_scraping_the_service()
    {
        var panels = PanelQueries();
        Assert.True(panels.Count >= 14, $"{panels.Count} queries");
        string[] required = ["f5tts_stage_duration_seconds", "f5tts_audio_seconds_total", "f5tts_batch_size", "f5tts_queue_depth",
            "f5tts_time_to_first_audio_seconds", "f5tts_worker_busy_seconds_total"];
        Assert.All(required, metric => Assert.Contains(panels, p => p.Expr.Contains(metric, StringComparison.Ordinal)));

        await using var service = new F5TtsApiFactory();
        using var client = service.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        using var prometheus = await PrometheusServer.StartAsync(service.BaseAddress, Ct);
        await prometheus.WaitForAsync("up", r => r.Count > 0 && r[0].Value == 1, Ct);

        // Traffic after the first scrape, so that rates see it rise: whole, streamed and OpenAI responses.
        for (int i = 0; i < 3; i++)
        {
            using var whole = await Speech.PostJsonAsync(client, "v1/tts", new { text = $"Dashboard sentence {i}.", format = "wav" }, Ct);
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        }

        using (var streamed = await Speech.PostJsonAsync(client, "v1/audio/speech", new { input = "Streamed for the dashboard.", response_format = "pcm", stream_format = "audio" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        }

        foreach (var (panel, expr) in panels)
        {
            // Grafana's rate window; one minute holds the whole test's scrapes at a 1 s interval.
            string query = expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal);
            var result = await prometheus.WaitForAsync(query, r => r.Count > 0, Ct);
            Assert.True(result.Count > 0, $"{panel}: {query} returned nothing");
        }

        var throughput = await prometheus.WaitForAsync("sum(rate(f5tts_audio_seconds_total[1m]))", r => r.Count > 0 && r[0].Value > 0, Ct);
        Assert.True(throughput[0].Value > 0);
        var utilisation = await prometheus.WaitForAsync("sum(rate(f5tts_worker_busy_seconds_total{worker=\"cpu\"}[1m]))", r => r.Count > 0 && r[0].Value > 0, Ct);
        Assert.True(utilisation[0].Value > 0);
    }

    /// <summary>A Prometheus server on a free loopback port with a private data directory, scraping one target.</summary>
    private sealed class PrometheusServer : IDisposable
    {
        private readonly Process _process;
        private readonly string _dir;
        private readonly HttpClient _http;

        private PrometheusServer(Process process, string dir, Uri address)
        {
            _process = process;
            _dir = dir;
            _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        }

        public static async Task<PrometheusServer> StartAsync(Uri target, CancellationToken cancellationToken)
        {
            var binary = ExternalTool.Require("prometheus", "prometheus");
            string dir = Directory.CreateTempSubdirectory("f5tts-prometheus-").FullName;
            string config = Path.Combine(dir, "prometheus.yml");
            await File.WriteAllTextAsync(config, $"""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: f5tts
                    metrics_path: /metrics
                    static_configs:
                      - targets: ["{target.Authority}"]
                """, cancellationToken);
            int port = FreePort();
            var psi = new ProcessStartInfo(binary)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
            {
                psi.ArgumentList.Add(arg);
            }

            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new PrometheusServer(process, dir, new Uri($"http://127.0.0.1:{port}/"));
            await server.WaitReadyAsync(cancellationToken);
            return server;
        }

        /// <summary>Polls an instant query until <paramref name="done"/> holds (hang guard: 3 minutes); returns the last result.</summary>
        public async Task<IReadOnlyList<(string Labels, double Value)>> WaitForAsync(
            string query, Func<IReadOnlyList<(string Labels, double Value)>, bool> done, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            IReadOnlyList<(string, double)> result = [];
            try
            {
                while (true)
                {
                    result = await QueryAsync(query, timeout.Token);
                    if (done(result))
                    {
                        return result;
                    }

                    await Task.Delay(200, timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return result; // the caller's assertion names the query
            }
        }

        private async Task<IReadOnlyList<(string Labels, double Value)>> QueryAsync(string query, CancellationToken cancellationToken)
        {
            using var response = await _http.GetAsync(new Uri($"api/v1/query?query={Uri.EscapeDataString(query)}", UriKind.Relative), cancellationToken);
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"{query}: {(int)response.StatusCode} {body}");
            using var json = JsonDocument.Parse(body);
            var data = json.RootElement.GetProperty("data");
            Assert.Equal("vector", data.GetProperty("resultType").GetString());
            return data.GetProperty("result").EnumerateArray()
                .Select(r => (r.GetProperty("metric").ToString(), ParseValue(r.GetProperty("value")[1].GetString()!)))
                .ToList();
        }

        private static double ParseValue(string s) => s switch
        {
            "NaN" => double.NaN,
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(s, CultureInfo.InvariantCulture),
        };

        private async Task WaitReadyAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            while (true)
            {
                Assert.False(_process.HasExited, $"prometheus exited with {(_process.HasExited ? _process.ExitCode : 0)}");
                try
                {
                    using var ready = await _http.GetAsync(new Uri("-/ready", UriKind.Relative), timeout.Token);
                    if (ready.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }

                await Task.Delay(100, timeout.Token);
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public void Dispose()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
