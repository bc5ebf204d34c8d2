using System.ComponentModel.DataAnnotations;

namespace F5Tts.Inference.Options;

/// <summary>Settings of the per-device workers behind the admission queue (section <c>F5Tts:Workers</c>).</summary>
public sealed class WorkersOptions
{
    public const string SectionName = "F5Tts:Workers";

    /// <summary>Workers that must be warm before the service reports ready; 0 = all of them. Workers that warm up
    /// later join when they are warm.</summary>
    [Range(0, 64)]
    public int MinReady { get; set; }

    /// <summary>
    /// Workers (each with its own engine, sessions and batch) per device of <c>F5Tts:Engine:DeviceIds</c> (or
    /// <c>DeviceId</c>). Two on one GPU let one worker's host-side work (Preprocess launches, packing, Decode) overlap
    /// the other's steps, at the cost of a second copy of the weights and buffers; they also rehearse the several-device
    /// path on one device. 1: one worker per device.
    /// </summary>
    [Range(1, 8)]
    public int PerDevice { get; set; } = 1;

    /// <summary>Consecutive failed Transformer steps or decodes after which a worker is taken out of service: its
    /// queued requests fail with 503 and new ones go to the other workers. A device fault (lost device, illegal
    /// address) fails every call; an out-of-memory batch is usually followed by a good one.</summary>
    [Range(1, 1000)]
    public int FaultLimit { get; set; } = 3;

    /// <summary>
    /// Seconds an engine call (Preprocess, a Transformer step, Decode) may run before the device is taken as hung: a
    /// hung GPU leaves the worker's thread waiting in the driver for ever, so the worker is taken out of service (its
    /// waiting requests fail with 503, new ones go to the other workers, readiness fails when none is left) and
    /// <c>/health/live</c> fails so that the orchestrator restarts the process. Set it well above the slowest step the
    /// deployment can take (a large batch on a CPU); 0 turns the watch off.
    /// </summary>
    [Range(0, 86_400)]
    public double StallSeconds { get; set; } = 300;

    /// <summary>Largest <c>Retry-After</c> (seconds) given with 429, however long the predicted wait.</summary>
    [Range(1, 3_600)]
    public int MaxRetryAfterSeconds { get; set; } = 120;
}
