using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.F5;

/// <summary>One shape bucket of <see cref="StaticStepBuffers"/>: its tensor views over the capacity buffers and its two step bindings.</summary>
internal sealed class StaticBucket : IDisposable
{
    public StaticBucket(int batch, int frames, OrtValue[] x, OrtValue cond, OrtValue condDrop, OrtValue lengths, OrtValue[] scalars)
    {
        Batch = batch;
        Frames = frames;
        X = x;
        Cond = cond;
        CondDrop = condDrop;
        Lengths = lengths;
        Scalars = scalars;
    }

    public int Batch { get; }

    public int Frames { get; }

    /// <summary>x [Batch, Frames, 100] over ping-pong buffers 0 and 1.</summary>
    public OrtValue[] X { get; }

    public OrtValue Cond { get; }

    public OrtValue CondDrop { get; }

    public OrtValue Lengths { get; }

    /// <summary>Device time index [Batch] (int64), t, dt, cfg [Batch] over the step scalars' buffer.</summary>
    public OrtValue[] Scalars { get; }

    public StaticStepGraph?[] Graphs { get; } = new StaticStepGraph?[2];

    public void Dispose()
    {
        foreach (var graph in Graphs)
        {
            graph?.Dispose();
        }

        foreach (var view in X.Concat(Scalars).Append(Cond).Append(CondDrop).Append(Lengths))
        {
            view.Dispose();
        }
    }
}

/// <summary>
/// A binding with every input and output bound, and the run options carrying its graph id: one per (bucket, parity) of
/// <see cref="StaticStepBuffers"/>, one per bucket of <see cref="StaticDecodeBuffers"/> and of <see cref="StaticPreprocess"/>.
/// </summary>
internal sealed class StaticStepGraph : IDisposable
{
    private readonly bool _sharedOptions;

    /// <summary>
    /// A graph over <paramref name="binding"/> with its own <c>gpu_graph_id</c> from <paramref name="ids"/> when
    /// <paramref name="capturesGraphs"/> and the pool has one left, else running with <paramref name="shared"/> (plain
    /// runs, or <c>gpu_graph_id</c> = -1 on a graph-enabled session).
    /// </summary>
    public static StaticStepGraph Create(OrtIoBinding binding, bool capturesGraphs, GraphIdPool ids, RunOptions shared)
    {
        if (!capturesGraphs || !ids.TryTake(out var id))
        {
            return new StaticStepGraph(binding, shared, sharedOptions: true);
        }

        var own = new RunOptions();
        own.AddRunConfigEntry("gpu_graph_id", id.ToString(CultureInfo.InvariantCulture));
        return new StaticStepGraph(binding, own, sharedOptions: false);
    }

    public StaticStepGraph(OrtIoBinding binding, RunOptions runOptions, bool sharedOptions)
    {
        Binding = binding;
        RunOptions = runOptions;
        _sharedOptions = sharedOptions;
    }

    public OrtIoBinding Binding { get; }

    public RunOptions RunOptions { get; }

    /// <summary>True when the runs carry this graph's own <c>gpu_graph_id</c> (captured after its first runs).</summary>
    public bool HasGraphId => !_sharedOptions;

    /// <summary>Runs so far, counted up to <see cref="CaptureGate.RunsUntilReplay"/> only.</summary>
    public int Runs { get; set; }

    public void Dispose()
    {
        Binding.Dispose();
        if (!_sharedOptions)
        {
            RunOptions.Dispose();
        }
    }
}
