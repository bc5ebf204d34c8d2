using Microsoft.Extensions.Logging;

namespace F5Tts.Engines.F5;

/// <summary>
/// Hands out the CUDA graph ids of one session, up to <c>F5Tts:Engine:Cuda:MaxCudaGraphs</c>. Ids must be unique per
/// session, and both packed batches of the engine (<see cref="StepLanes"/>) run the same Transformer session, so their
/// step buffers draw from one pool; the cap then bounds the graphs of the session as a whole. The Decode session has
/// its own pool (<see cref="StaticDecodeBuffers"/>), capped alike.
/// </summary>
/// <param name="maxGraphs">The cap.</param>
/// <param name="runs">What runs without a graph past the cap, for the warning: "Transformer steps", "Decode calls".</param>
/// <param name="logger">Receives that warning, once.</param>
internal sealed class GraphIdPool(int maxGraphs, string runs, ILogger logger)
{
    private int _next = 1;
    private bool _warned;

    /// <summary>Ids handed out so far (Transformer: two per bucket used, one per ping-pong parity; Decode: one per bucket).</summary>
    public int Used => _next - 1;

    /// <summary>
    /// The next id, or false past the cap: ONNX Runtime cannot release a captured graph, and each may hold on to its
    /// activations, so new shapes then run uncaptured (still static-shaped) rather than growing memory without bound.
    /// </summary>
    public bool TryTake(out int id)
    {
        if (_next <= maxGraphs)
        {
            id = _next++;
            return true;
        }

        if (!_warned)
        {
            _warned = true;
            logger.LogWarning("{Max} CUDA graphs captured (F5Tts:Engine:Cuda:MaxCudaGraphs); {Runs} of new shape buckets run without graphs.", maxGraphs, runs);
        }

        id = 0;
        return false;
    }
}
