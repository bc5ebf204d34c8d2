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
    public static int Print(string modelDirectory, bool tf32, string graph)
    {
        var path = Path.Combine(modelDirectory, graph);
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

    /// <summary>
    /// Runs the Preprocess graph alone on CUDA (as the engine builds it) with ONNX Runtime's profiler on: 3 warm-up and
    /// 10 timed runs for a 3 s reference, 82 text tokens and <paramref name="frames"/> frames; the profile (every
    /// node's kernel time and provider, and the copies between host and device) goes to PREFIX_*.json.
    /// </summary>
    public static int ProfilePreprocess(string modelDirectory, bool tf32, string cudnnSearch, string prefix, int frames)
    {
        var path = Path.Combine(modelDirectory, "F5_Preprocess.onnx");
        using var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
        };
        using (var cuda = new OrtCUDAProviderOptions())
        {
            var settings = new Dictionary<string, string>
            {
                ["device_id"] = "0", ["use_tf32"] = tf32 ? "1" : "0", ["do_copy_in_default_stream"] = "1", ["cudnn_conv_algo_search"] = cudnnSearch,
            };
            cuda.UpdateOptions(settings);
            so.AppendExecutionProvider_CUDA(cuda);
        }

        so.ProfileOutputPathPrefix = prefix; // before EnableProfiling, which hands the prefix to ONNX Runtime
        so.EnableProfiling = true;
        using var session = new InferenceSession(path, so);
        var audio = new float[72000];
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] = 0.1f * MathF.Sin(2 * MathF.PI * 120 * i / 24000f);
        }

        // A padded Preprocess (exporter version 2) takes its ids padded by -1 to the frame count.
        var padded = session.ModelMetadata.CustomMetadataMap.GetValueOrDefault("f5tts.preprocess") == "padded";
        var ids = Enumerable.Range(1, 82).Concat(Enumerable.Repeat(-1, padded ? Math.Max(0, frames - 82) : 0)).ToArray();
        using var audioValue = OrtValue.CreateTensorValueFromMemory(audio, [1, audio.Length]);
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var totalValue = OrtValue.CreateTensorValueFromMemory(new long[] { frames }, [1]);
        using var runOptions = new RunOptions();
        var times = new List<double>();
        for (var r = 0; r < 13; r++)
        {
            if (r == 12)
            {
                CudaProfiler.Start(); // Nsight Compute with --profile-from-start off records the last run's kernels
            }

            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var outputs = session.Run(runOptions, ["audio", "text_ids", "total_frames"], [audioValue, idsValue, totalValue], ["cond", "cond_drop", "ref_frames"]);
            if (r >= 3)
            {
                times.Add(sw.Elapsed.TotalMilliseconds);
            }

            if (r == 12)
            {
                CudaProfiler.Stop();
            }
        }

        var file = session.EndProfiling();
        times.Sort();
        Console.WriteLine($"preprocess alone (cudnn {cudnnSearch}): p50 {times[times.Count / 2]:F2} ms, min {times[0]:F2} ms over {times.Count} runs; profile {file}");
        return 0;
    }
}
