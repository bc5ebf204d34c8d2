namespace F5Tts.Engines.F5;

/// <summary>
/// The batched Transformer step's inputs and outputs and the runs over them. <see cref="BatchedF5Engine"/> holds one,
/// chosen when it is built, and talks to it only through this interface:
/// <see cref="DynamicStepBuffers"/> runs every step at the batch's exact shape from buffers that grow with the batch;
/// <see cref="StaticStepBuffers"/> runs it at bucketed shapes from buffers allocated once (static shapes and CUDA
/// graphs, docs/engine.md "CUDA graphs and shape buckets").
/// The engine keeps the member list and calls <see cref="Pack"/> when it changes, <see cref="Step"/> once per step
/// with the same list, and <see cref="ReadBack"/> before items leave or are decoded.
/// </summary>
internal interface IStepBuffers : IDisposable
{
    /// <summary>The shape mode for logs and <c>/v1/models</c>; null when the step runs at exact shapes.</summary>
    string? Mode { get; }

    /// <summary>Packs <paramref name="items"/> (conditioning, latents, lengths) as the batch the next steps run.</summary>
    void Pack(IReadOnlyList<BatchedItem> items);

    /// <summary>One Transformer call for the packed items (the same list as packed); leaves x_next as the latest latents.</summary>
    void Step(IReadOnlyList<BatchedItem> items);

    /// <summary>Copies the latest latents of the packed rows back into <paramref name="items"/> (one device→host copy).</summary>
    void ReadBack(IReadOnlyList<BatchedItem> items);
}
