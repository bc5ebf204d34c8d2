using Microsoft.ML.OnnxRuntime;

namespace F5Tts.GpuBench;

/// <summary>
/// Diagnostic: builds the Transformer session the way the engine does (CUDA, optimisation level All) but with ONNX
/// Runtime's verbose log on, so that its "Node placements" report (which nodes run on the CPU: host work between the
/// GPU kernels at every step, copies where their inputs live on the GPU, and no CUDA-graph mode) reaches stderr.
/// The run script filters that report.
/// </summary>
internal static class Placement
{
    public static int Print(string modelDirectory, bool tf32)
    {
        var path = Path.Combine(modelDirectory, "F5_Transformer.onnx");
        using var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE,
            LogVerbosityLevel = 0,
        };
        try
        {
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string> { ["device_id"] = "0", ["use_tf32"] = tf32 ? "1" : "0" });
            so.AppendExecutionProvider_CUDA(cuda);
        }
        catch (OnnxRuntimeException e)
        {
            Console.Error.WriteLine($"placement: CUDA provider unavailable ({e.Message.Split('\n')[0]}); CPU only.");
        }

        using var session = new InferenceSession(path, so);
        Console.WriteLine($"placement: {path} loaded; the ORT log on stderr holds the 'Node placements' report.");
        return 0;
    }
}
