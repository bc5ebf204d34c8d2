using System.Net;
using System.Text.RegularExpressions;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

public sealed partial class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every metric family of docs/metrics.md, exactly as Prometheus must see it.</summary>
    private static readonly (string Name, string Type)[] DesignMetrics =
    [
        ("f5tts_requests_total", "counter"),
        ("f5tts_request_duration_seconds", "histogram"),
        ("f5tts_queue_wait_seconds", "histogram"),
        ("f5tts_stage_duration_seconds", "histogram"),
        ("f5tts_time_to_first_audio_seconds", "histogram"),
        ("f5tts_batch_size", "histogram"),
        ("f5tts_batch_frames", "histogram"),
        ("f5tts_queue_depth", "gauge"),
        ("f5tts_inflight_requests", "gauge"),
        ("f5tts_audio_seconds_total", "counter"),
        ("f5tts_real_time_factor", "histogram"),
        ("f5tts_realtime_sessions", "gauge"),
        ("f5tts_realtime_segments_total", "counter"),
        ("f5tts_worker_up", "gauge"),
        ("f5tts_worker_queued_audio_seconds", "gauge"),
        ("f5tts_worker_predicted_wait_seconds", "gauge"),
        ("f5tts_worker_batch_limit", "gauge"),
        ("f5tts_predicted_wait_seconds", "gauge"),
        ("f5tts_worker_busy_seconds_total", "counter"),
        ("f5tts_worker_faults_total", "counter"),
    ];

    [Fact]
    public async Task Metrics_output_passes_promtool_before_any_traffic()
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");
        await using var factory = new F5TtsApiFactory();
        using var client = factory.CreateSocketClient();

        var body = await ScrapeAsync(client);

        await AssertPromtoolAcceptsAsync(promtool, body);
        // Gauges exist from the start, so dashboards see 0 rather than "no data".
        Assert.Matches(SampleLine("f5tts_queue_depth"), body);
        Assert.Matches(SampleLine("f5tts_inflight_requests"), body);
    }

    [Fact]
    public async Task All_design_metric_names_are_exposed_after_traffic_and_pass_promtool()
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");
        await using var factory = new F5TtsApiFactory();
        using var client = factory.CreateSocketClient();
        var metrics = factory.Services.GetRequiredService<F5TtsMetrics>();

        // HTTP traffic for the ASP.NET Core meters, and one synthetic request's worth of service metrics (the
        // synthesis pipeline records these once it exists; the names and their exposition are what is tested here).
        (await client.GetAsync("health/live", Ct)).Dispose();
        (await client.GetAsync("no/such/route", Ct)).Dispose();
        using (metrics.TrackInflight())
        {
            metrics.QueueEntered();
            metrics.RecordStage(PipelineStage.Frontend, TimeSpan.FromMilliseconds(3));
            metrics.RecordQueueWait(TimeSpan.FromMilliseconds(40));
            metrics.QueueLeft();
            metrics.RecordStage(PipelineStage.Preprocess, TimeSpan.FromMilliseconds(12));
            metrics.RecordBatch(size: 3, frames: 2048);
            metrics.RecordStage(PipelineStage.Transformer, TimeSpan.FromSeconds(1.4));
            metrics.RecordStage(PipelineStage.Decode, TimeSpan.FromMilliseconds(60));
            metrics.RecordStage(PipelineStage.Encode, TimeSpan.FromMilliseconds(5));
            metrics.RecordTimeToFirstAudio(TimeSpan.FromSeconds(1.5));
            metrics.RecordTimeToFirstAudio(TimeSpan.FromSeconds(0.1), "/v1/tts/ws");
            metrics.RecordRealtimeSegment();
            metrics.RecordAudio(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1.6));
            metrics.RecordRequestDuration("wav", TimeSpan.FromSeconds(1.6));
            metrics.RecordRequestDuration("a-format-nobody-knows", TimeSpan.FromSeconds(1));
            metrics.RecordRequest(RequestOutcome.Success);
            metrics.RecordRequestFailure(TtsErrorKind.QueueFull);
        }

        var body = await ScrapeAsync(client);
        await AssertPromtoolAcceptsAsync(promtool, body);

        foreach (var (name, type) in DesignMetrics)
        {
            Assert.Contains($"# TYPE {name} {type}\n", body);
        }

        // No f5tts family beyond the design's (e.g. a doubled unit suffix would show up here).
        var exposed = TypeLine().Matches(body).Select(m => m.Groups[1].Value).Where(n => n.StartsWith("f5tts_", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(DesignMetrics.Select(m => m.Name).ToHashSet(), exposed);

        Assert.Matches(SampleLine("f5tts_requests_total", "outcome=\"success\"", "reason=\"none\""), body);
        Assert.Matches(SampleLine("f5tts_requests_total", "outcome=\"rejected\"", "reason=\"queue-full\""), body);
        Assert.Matches(SampleLine("f5tts_request_duration_seconds_count", "format=\"other\""), body);
        Assert.Matches(SampleLine("f5tts_stage_duration_seconds_count", "stage=\"transformer\""), body);
        Assert.Matches(SampleLine("f5tts_time_to_first_audio_seconds_count", "route=\"/v1/tts/ws\""), body);
        Assert.Matches(SampleLine("f5tts_time_to_first_audio_seconds_count", "route=\"other\""), body);
        Assert.Matches(new Regex(@"^f5tts_audio_seconds_total\{[^}]*\} 4(\.0+)?$", RegexOptions.Multiline), body);
        Assert.Matches(new Regex(@"^f5tts_inflight_requests\{[^}]*\} 0$", RegexOptions.Multiline), body);
        // Buckets chosen for TTS latencies reach 120 s (the framework default stops at 10 s).
        Assert.Matches(SampleLine("f5tts_request_duration_seconds_bucket", "le=\"120\""), body);
        Assert.Matches(SampleLine("http_server_request_duration_seconds_bucket", "le=\"120\""), body);
        Assert.Matches(SampleLine("f5tts_batch_size_bucket", "le=\"4\""), body);
        Assert.Contains("http_server_request_duration_seconds_count", body);
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private static async Task AssertPromtoolAcceptsAsync(string promtool, string body)
    {
        var result = await ExternalTool.RunAsync(promtool, ["check", "metrics"], body, TimeSpan.FromMinutes(2), Ct);
        Assert.True(result.ExitCode == 0, $"promtool check metrics failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
    }

    private static Regex SampleLine(string name, params string[] labels) =>
        new("^" + Regex.Escape(name) + @"\{" + string.Concat(labels.Select(l => "(?=[^}]*" + Regex.Escape(l) + ")")) + @"[^}]*\} \S+$", RegexOptions.Multiline);

    [GeneratedRegex(@"^# TYPE (\S+) \S+$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
