using System.Diagnostics.Metrics;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace F5Tts.Inference.Tests;

/// <summary>Minimal IMeterFactory for the real <see cref="F5TtsMetrics"/>.</summary>
internal sealed class TestMeters : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose() => _meters.ForEach(m => m.Dispose());

    public static JobLedger Ledger(TimeProvider? time = null) => new(new F5TtsMetrics(new TestMeters()), time ?? new FakeTimeProvider());
}
