using F5Tts.Inference.Batching;
using F5Tts.Inference.Metrics;

namespace F5Tts.Inference.Workers;

/// <summary>
/// One device's engine and batcher, and the work routed to it: the audio-seconds of the requests admitted to it and
/// not finished (queued or running, reference included: the Transformer processes both), which the pool routes on and
/// the wait prediction divides by the worker's measured throughput.
/// </summary>
internal sealed class DeviceWorker : IDisposable
{
    private readonly double _secondsPerFrame;
    private long _queuedFrames;
    private long _doneFrames;
    private volatile bool _warm;
    private double _busyAtWarm; // engine time before serving (the batch-size calibration): no audio came of it

    public DeviceWorker(string name, int deviceId, GuardedEngine engine, BatchScheduler scheduler)
    {
        Name = name;
        DeviceId = deviceId;
        Engine = engine;
        Scheduler = scheduler;
        var d = engine.Description;
        _secondsPerFrame = (double)d.HopLength / d.SampleRate;
    }

    public string Name { get; }

    public int DeviceId { get; }

    public GuardedEngine Engine { get; }

    public BatchScheduler Scheduler { get; }

    /// <summary>Warmed up and its batcher started.</summary>
    public bool IsWarm => _warm;

    /// <summary>Takes requests: warm, not taken out, not draining.</summary>
    public bool IsServing => _warm && !Engine.IsOut && Scheduler.IsAccepting;

    /// <summary>Audio-seconds of work admitted to this worker and not finished.</summary>
    public double QueuedAudioSeconds => Math.Max(0, Interlocked.Read(ref _queuedFrames)) * _secondsPerFrame;

    /// <summary>
    /// Audio-seconds of work finished per second of engine time, batching included; null until a few seconds of
    /// work were measured.
    /// </summary>
    public double? Throughput
    {
        get
        {
            double busy = Engine.BusySeconds - Volatile.Read(ref _busyAtWarm);
            double done = Interlocked.Read(ref _doneFrames) * _secondsPerFrame;
            return busy >= MinimumMeasuredSeconds && done > 0 ? done / busy : null;
        }
    }

    /// <summary>Seconds until the work queued here now is done, at the measured throughput (real time before any).</summary>
    public double PredictedWaitSeconds => QueuedAudioSeconds / (Throughput ?? 1.0);

    private const double MinimumMeasuredSeconds = 0.5;

    public void MarkWarm()
    {
        Volatile.Write(ref _busyAtWarm, Engine.BusySeconds);
        _warm = true;
    }

    public void Admitted(long frames) => Interlocked.Add(ref _queuedFrames, frames);

    /// <summary>A chunk left the worker; its frames count towards throughput only when it produced audio.</summary>
    public void Finished(long frames, bool succeeded)
    {
        Interlocked.Add(ref _queuedFrames, -frames);
        if (succeeded)
        {
            Interlocked.Add(ref _doneFrames, frames);
        }
    }

    public WorkerSnapshot Snapshot() =>
        new(Name, IsServing, QueuedAudioSeconds, PredictedWaitSeconds, Engine.BusySeconds, Engine.Faults, Scheduler.MaxBatchSize);

    public void Dispose()
    {
        Scheduler.Dispose();
        if (!Scheduler.IsAbandoned)
        {
            Engine.Dispose(); // never under the call a hung worker's thread is stuck in
        }
    }
}
