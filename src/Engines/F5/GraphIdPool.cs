using Microsoft.Extensions.Logging;

namespace F5Tts.Engines.F5;

/// <summary>
/// Hands out the CUDA graph ids of one session (the Transformer's; Preprocess has its own), up to <c>F5Tts:Engine:Cuda:MaxCudaGraphs</c>. Ids must be
/// unique per session, and both packed batches of the engine (<see cref="StepLanes"/>) run the same session, so their
/// step buffers draw from this one pool; the cap then bounds the graphs of the session as a whole.
/// </summary>
internal sealed class GraphIdPool(int maxGraphs, ILogger logger, string uncaptured = "Transformer steps of new shape buckets")
{
    private int _next = 1;
    private bool _warned;

    /// <summary>Ids handed out so far (two per bucket used: one per ping-pong parity).</summary>
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
            logger.LogWarning("{Max} CUDA graphs captured (F5Tts:Engine:Cuda:MaxCudaGraphs); {Uncaptured} run without graphs.", maxGraphs, uncaptured);
        }

        id = 0;
        return false;
    }
}
