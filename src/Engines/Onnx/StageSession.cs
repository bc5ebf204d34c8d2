using F5Tts.Engines.Options;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.Onnx;

/// <summary>One graph's session and the providers it was really created with, highest priority first.</summary>
internal sealed class StageSession : IDisposable
{
    public StageSession(string stage, string path, InferenceSession session, IReadOnlyList<ExecutionProvider> providers, bool cudaGraph = false)
    {
        CudaGraph = cudaGraph;
        Stage = stage;
        Path = path;
        Session = session;
        Providers = providers;
    }

    public string Stage { get; }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public InferenceSession Session { get; }

    /// <summary>
    /// True when the session's CUDA provider was created with <c>enable_cuda_graph=1</c>: every run must then carry a
    /// <c>gpu_graph_id</c> run option (-1 for a plain run), because a run without one uses graph id 0 and captures.
    /// </summary>
    public bool CudaGraph { get; }

    public IReadOnlyList<ExecutionProvider> Providers { get; }

    /// <summary>True when the first provider runs on the GPU (CUDA or TensorRT).</summary>
    public bool OnGpu => Providers[0] != ExecutionProvider.CPU;

    /// <summary>The providers as reported in <c>/v1/models</c>, e.g. "CUDA,CPU".</summary>
    public string ProvidersText => string.Join(',', Providers);

    public IReadOnlyDictionary<string, string> Metadata => Session.ModelMetadata.CustomMetadataMap;

    public void Dispose() => Session.Dispose();
}
