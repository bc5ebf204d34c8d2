using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The built service started as its own process from the repository root, the way the README runs it: it must pick up
/// the root appsettings.json, listen, answer, and write one JSON object per log line to stdout.
/// </summary>
public sealed class ProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Service_process_starts_from_the_repository_root_and_logs_json()
    {
        var lines = new List<string>();
        await using var service = ServiceProcess.Start(
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production", ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            line => { lock (lines) { lines.Add(line); } });
        var process = service.Process;
        var port = service.Port;
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpStatusCode? live = null;
        while (live is null && DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await client.GetAsync("health/live", Ct);
                live = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200, Ct);
            }
        }

        Assert.Equal(HttpStatusCode.OK, live);
        (await client.GetAsync("definitely/not/here", Ct)).Dispose();
        await Task.Delay(500, Ct); // let the console sink flush the request log line

        List<JsonElement> events;
        lock (lines)
        {
            events = [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())]; // every line is JSON
        }

        Assert.Contains(events, e => e.TryGetProperty("ContentRoot", out var root)
            && Path.GetFullPath(root.GetString()!).TrimEnd('/') == RepoPaths.Root.TrimEnd('/'));
        var request = Assert.Single(events, e => e.TryGetProperty("RequestPath", out var p) && p.GetString() == "/definitely/not/here"
            && e.TryGetProperty("StatusCode", out _));
        Assert.Equal(404, request.GetProperty("StatusCode").GetInt32());
        Assert.Equal("Warning", request.GetProperty("@l").GetString());
        Assert.True(request.TryGetProperty("@tr", out _), "request log carries the trace id");
        // Probes are logged at Verbose only, i.e. not at the default level.
        Assert.DoesNotContain(events, e => e.TryGetProperty("RequestPath", out var p) && p.GetString() == "/health/live"
            && e.TryGetProperty("StatusCode", out _));
    }
}
