using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.F5;

/// <summary>
/// One request inside <see cref="BatchedF5Engine"/>; its conditioning and latent live on the host. The item owns no
/// native memory: the batch's buffers (<see cref="IStepBuffers"/>) belong to the engine.
/// </summary>
internal sealed class BatchedItem : IOwnedEngineItem
{
    public BatchedItem(BatchedF5Engine engine, int totalFrames, int referenceFrames, TimeGrid grid, float cfg, float outputGain, float[] cond, float[] condDrop, float[] latent)
    {
        Engine = engine;
        TotalFrames = totalFrames;
        ReferenceFrames = referenceFrames;
        Grid = grid;
        Cfg = cfg;
        OutputGain = outputGain;
        Cond = cond;
        CondDrop = condDrop;
        Latent = latent;
    }

    public BatchedF5Engine Engine { get; }

    ITtsEngine IOwnedEngineItem.Owner => Engine;

    public int TotalFrames { get; }

    public int ReferenceFrames { get; }

    public int StepsDone { get; set; }

    public int StepsTotal => Grid.Steps;

    public bool IsComplete => StepsDone >= StepsTotal;

    public TimeGrid Grid { get; }

    public float Cfg { get; }

    public float OutputGain { get; }

    public float[] Cond { get; }

    public float[] CondDrop { get; }

    /// <summary>x [N × 100]; behind the batch buffers while the item is a member that has stepped.</summary>
    public float[] Latent { get; }

    public bool IsDisposed { get; private set; }

    public void Dispose() => IsDisposed = true;
}
