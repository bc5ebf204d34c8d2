using System.Net;
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
        await using var service = ServiceProcess.Start(
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production", ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        await service.WaitForLineAsync(l => l.Contains("Now listening on", StringComparison.Ordinal), TimeSpan.FromMinutes(5), Ct);
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        using (var live = await client.GetAsync("health/live", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        (await client.GetAsync("definitely/not/here", Ct)).Dispose();
        // The request line is written when the request completes: wait for that line, not for a fixed time.
        await service.WaitForLineAsync(l => l.Contains("/definitely/not/here", StringComparison.Ordinal) && l.Contains("\"StatusCode\"", StringComparison.Ordinal),
            TimeSpan.FromMinutes(1), Ct);

        var events = service.Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList(); // every line is JSON
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
