using System.Diagnostics.Metrics;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests.Support;

/// <summary>What the scheduler and concurrency tests share: one synthetic request shape, running it alone, and a meter
/// factory for the real <c>F5TtsMetrics</c>.</summary>
internal static class SchedulerTestKit
{
    /// <summary>A 1 s synthetic reference (two tones) and a fixed token sequence; frames and seed vary.</summary>
    public static EngineInput Input(int frames, long seed, int nfe)
    {
        var audio = new float[24_000];
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] = (0.2f * MathF.Sin(2 * MathF.PI * 220 * i / 24_000f)) + (0.1f * MathF.Sin(2 * MathF.PI * 1_375 * i / 24_000f));
        }

        var ids = Enumerable.Range(0, 40).Select(i => (i * 37) % 2545).ToArray();
        return new EngineInput(audio, ids, frames, new SamplerSettings(NfeSteps: nfe, Seed: seed), 1f);
    }

    /// <summary>The request through the engine on its own: Prepare, every step, Decode.</summary>
    public static float[] RunAlone(ITtsEngine engine, EngineInput input)
    {
        using var item = engine.Prepare(input, CancellationToken.None);
        while (!item.IsComplete)
        {
            engine.RunStep([item], CancellationToken.None);
        }

        return engine.Decode([item], CancellationToken.None)[0];
    }
}

/// <summary>A real <see cref="IMeterFactory"/> that owns the meters it creates.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    /// <summary>Whether the meter is one of this factory's (other tests record on meters of the same name in parallel).</summary>
    public bool Owns(Meter meter) => _meters.Contains(meter);

    public void Dispose() => _meters.ForEach(m => m.Dispose());
}

/// <summary>One utterance through the scheduler: a request of one chunk.</summary>
internal static class SchedulerSubmit
{
    public static Task<SynthesisOutcome> SubmitOneAsync(this BatchScheduler scheduler, EngineInput input, CancellationToken cancellationToken)
    {
        using var admission = scheduler.Admit(1, cancellationToken);
        return admission.Submit(input);
    }
}
