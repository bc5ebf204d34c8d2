using System.Diagnostics.Metrics;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;

namespace F5Tts.Inference.Tests.Metrics;

public sealed class F5TtsMetricsTests : IDisposable
{
    private readonly TestMeters _factory = new();
    private readonly F5TtsMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    public F5TtsMetricsTests()
    {
        _metrics = new F5TtsMetrics(_factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == _factory)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public void Failures_are_counted_with_outcome_and_reason_slug()
    {
        _metrics.RecordRequestFailure(TtsErrorKind.QueueFull);
        _metrics.RecordRequestFailure(TtsErrorKind.NoSpeakableText);
        _metrics.RecordRequestFailure(TtsErrorKind.DeadlineExceeded);
        _metrics.RecordRequest(RequestOutcome.Success);

        var requests = _measurements.Where(m => m.Instrument == "f5tts_requests").ToList();
        Assert.Equal(
            [("rejected", "queue-full"), ("client_error", "no-speakable-text"), ("timeout", "deadline-exceeded"), ("success", "none")],
            requests.Select(m => ((string)m.Tags["outcome"]!, (string)m.Tags["reason"]!)));
    }

    [Fact]
    public void Unknown_formats_are_folded_into_other()
    {
        _metrics.RecordRequestDuration("WAV", TimeSpan.FromSeconds(1));
        _metrics.RecordRequestDuration("x-" + Guid.NewGuid(), TimeSpan.FromSeconds(1));

        Assert.Equal(["wav", "other"], _measurements.Select(m => (string)m.Tags["format"]!));
        Assert.All(_measurements, m => Assert.Equal(1.0, m.Value, 9));
    }

    [Fact]
    public void Gauges_follow_queue_and_inflight_changes_and_scope_disposal_is_idempotent()
    {
        _metrics.QueueEntered();
        _metrics.QueueEntered();
        _metrics.QueueLeft();
        var scope = _metrics.TrackInflight();
        Assert.Equal((1, 1), Observe());

        scope.Dispose();
        scope.Dispose();
        Assert.Equal((1, 0), Observe());
    }

    [Fact]
    public void Audio_counts_seconds_and_real_time_factor_and_ignores_empty_audio()
    {
        _metrics.RecordAudio(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1));
        _metrics.RecordAudio(TimeSpan.Zero, TimeSpan.FromSeconds(1));

        Assert.Equal(4.0, Assert.Single(_measurements, m => m.Instrument == "f5tts_audio").Value, 9);
        Assert.Equal(0.25, Assert.Single(_measurements, m => m.Instrument == "f5tts_real_time_factor").Value, 9);
    }

    [Fact]
    public void Every_histogram_has_buckets_and_latency_buckets_span_5ms_to_120s()
    {
        foreach (var name in new[] { "f5tts_request_duration", "f5tts_queue_wait", "f5tts_stage_duration", "f5tts_time_to_first_audio", "f5tts_batch_size", "f5tts_batch_frames", "f5tts_real_time_factor" })
        {
            var buckets = F5TtsMetrics.BucketsFor(name);
            Assert.NotNull(buckets);
            Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First < p.Second), $"{name} buckets must increase");
        }

        Assert.Equal(0.005, F5TtsMetrics.LatencyBuckets[0]);
        Assert.Equal(120, F5TtsMetrics.LatencyBuckets[^1]);
        Assert.Null(F5TtsMetrics.BucketsFor("f5tts_requests"));
    }

    private (long Queue, long Inflight) Observe()
    {
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        return ((long)_measurements.Single(m => m.Instrument == "f5tts_queue_depth").Value,
            (long)_measurements.Single(m => m.Instrument == "f5tts_inflight_requests").Value);
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        _measurements.Add((instrument.Name, value, dictionary));
    }
}
