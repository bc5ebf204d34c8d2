namespace F5Tts.Inference.Engine;

/// <summary>
/// The seam between the engine-agnostic core and a model runtime (docs/architecture.md). One instance owns one device's
/// sessions. All methods are synchronous and are called from a single long-running worker thread per device,
/// never from request threads (except concurrent <see cref="Prepare"/> calls while the worker waits for them, where
/// <see cref="ConcurrentPrepare"/> allows it); the batcher decides which items ride each Transformer call.
/// </summary>
public interface ITtsEngine : IDisposable
{
    /// <summary>What is loaded: model, contract, precision, limits and the providers really in use per stage.</summary>
    EngineDescription Description { get; }

    /// <summary>
    /// True when several <see cref="Prepare"/> calls may run at once on other threads (the worker waiting for them,
    /// so never during <see cref="RunStep"/> or <see cref="Decode"/>). The batcher then prepares the requests admitted
    /// at one step boundary up to PrepareParallelism at a time (docs/serving.md "Preparing a cohort"). False keeps
    /// every call on the worker thread.
    /// </summary>
    bool ConcurrentPrepare => false;

    /// <summary>
    /// Runs each stage once at typical shapes so that the first request does not pay for kernel selection,
    /// TensorRT engine builds or arena growth. Readiness flips only after this returns.
    /// </summary>
    void WarmUp(CancellationToken cancellationToken);

    /// <summary>
    /// Runs Preprocess for one request and returns an item that owns its conditioning and its current latent
    /// (on the device where the provider allows). The caller disposes the item.
    /// </summary>
    IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken);

    /// <summary>
    /// One Transformer call over <paramref name="items"/>: each item advances by one Euler step on its own time grid
    /// (items may be at different steps). Items must not be complete. Membership may change between calls
    /// (step-level continuous batching); the engine re-packs its batch buffers only when it does.
    /// </summary>
    void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken);

    /// <summary>
    /// Decodes complete items: the reference frames are cut, Vocos runs (batched where the contract allows) and the
    /// reference RMS gain is undone. Returns 24 kHz mono float PCM in [-1, 1] per item, in order.
    /// </summary>
    IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken);

    /// <summary>
    /// Called on the worker thread once each time the worker goes idle after running work (nothing running, nothing
    /// waiting): the moment to hand memory the last burst left behind back to the operating system. Default: nothing.
    /// </summary>
    void ReleaseIdleMemory()
    {
    }
}

/// <summary>One request's state inside the engine between Prepare and Decode.</summary>
public interface IEngineItem : IDisposable
{
    /// <summary>Total mel frames N (reference + generated).</summary>
    int TotalFrames { get; }

    /// <summary>Reference mel frames, as reported by Preprocess.</summary>
    int ReferenceFrames { get; }

    /// <summary>Euler steps already taken.</summary>
    int StepsDone { get; }

    /// <summary>Euler steps this item needs (its NFE).</summary>
    int StepsTotal { get; }

    /// <summary>True once every step has been taken; the item is then ready for Decode.</summary>
    bool IsComplete => StepsDone >= StepsTotal;
}

/// <summary>What the engine needs for one utterance.</summary>
/// <param name="ReferenceAudio">Conditioned reference clip: 24 kHz mono float PCM in [-1, 1], silence-trimmed,
/// RMS-boosted and with 50 ms of silence appended (docs/model.md "Reference audio conditioning").</param>
/// <param name="TextIds">Vocabulary ids of reference text + text to generate, exactly as the model sees them.</param>
/// <param name="TotalFrames">N from the duration rule (docs/model.md "Duration"); the engine clamps nothing silently.</param>
/// <param name="Sampler">Per-request sampler settings.</param>
/// <param name="OutputGain">Gain applied to the decoded audio to undo the reference RMS boost (docs/model.md "Post-processing"); 1 when
/// no boost was applied.</param>
/// <param name="InitialNoise">Optional explicit x0 [TotalFrames × 100] row-major (golden parity tests, external
/// samplers); null draws host Gaussian noise from <see cref="SamplerSettings.Seed"/>.</param>
public sealed record EngineInput(
    float[] ReferenceAudio,
    int[] TextIds,
    int TotalFrames,
    SamplerSettings Sampler,
    float OutputGain = 1f,
    float[]? InitialNoise = null);

/// <summary>Per-request sampler settings (docs/model.md "Sampling").</summary>
/// <param name="NfeSteps">Number of Euler steps (function evaluations).</param>
/// <param name="CfgStrength">Classifier-free guidance strength.</param>
/// <param name="Sway">Sway sampling coefficient s (−1 = upstream default).</param>
/// <param name="Seed">Seed of the host Gaussian noise; null picks a random one.</param>
/// <param name="UseEpss">Use the empirically pruned grids for 5/6/7/10/12/16 steps, as upstream does.</param>
public sealed record SamplerSettings(
    int NfeSteps = 32,
    float CfgStrength = 2f,
    float Sway = -1f,
    long? Seed = null,
    bool UseEpss = true);

/// <summary>Describes the loaded model for <c>/v1/models</c>, logs and metrics.</summary>
public sealed record EngineDescription(
    string Model,
    string Contract,
    string Precision,
    int SampleRate,
    int HopLength,
    int MaxFrames,
    int MaxBatchSize,
    bool SupportsBatching,
    int? FixedNfeSteps,
    IReadOnlyDictionary<string, string> ProvidersByStage);
