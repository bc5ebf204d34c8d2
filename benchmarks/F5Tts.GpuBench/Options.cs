using System.Globalization;

namespace F5Tts.GpuBench;

/// <summary>Command line.</summary>
internal sealed class Options
{
    public const string Usage =
        "usage: F5Tts.GpuBench --model DIR [--providers CUDA,CPU] [--tf32] [--frames 680 (0 = duration rule)] [--ref-seconds 3.0]\n" +
        "       [--warmup 3] [--iters 20] [--e2e-iters 5] [--batches 1,2,4,8,16] [--batch-iters 3] [--peak-tflops X]\n" +
        "       [--cpu-threads 0] [--label NAME] [--device-name NAME] [--json-out FILE] [--verbose] [--require-gpu]\n" +
        "       [--cuda-graphs] [--static-shapes] [--frame-bucket 64] [--cudnn-search EXHAUSTIVE|HEURISTIC|DEFAULT]\n" +
        "       F5Tts.GpuBench --model DIR --placement-only [--tf32]   (ORT verbose log of the Transformer's node placement, stderr)\n" +
        "       F5Tts.GpuBench --model DIR [--cuda-graphs] --profile-request STEPS [--no-stage-graphs]   (20 requests end to end, medians; the last between cudaProfilerStart/Stop)\n" +
        "       F5Tts.GpuBench --model DIR --batches 16 [--cuda-graphs] --lanes-repro SECONDS [--repro-stall 20] [--repro-precapture] [--repro-prepare-threads 1]   (the two-lane call pattern of the streamed-load hang; exit 6 on a stall)";

    public string Model { get; private set; } = string.Empty;

    public string Providers { get; private set; } = "CUDA,CPU";

    public bool Tf32 { get; private set; }

    public int Frames { get; private set; } = 680;

    public double ReferenceSeconds { get; private set; } = 3.0;

    public int Warmup { get; private set; } = 3;

    public int Iters { get; private set; } = 20;

    public int E2eIters { get; private set; } = 5;

    public int[] Batches { get; private set; } = [1, 2, 4, 8, 16];

    public int BatchIters { get; private set; } = 3;

    public double? PeakTflops { get; private set; }

    public int CpuThreads { get; private set; }

    public string Label { get; private set; } = "csharp";

    public string DeviceName { get; private set; } = "unknown";

    public string? JsonOut { get; private set; }

    public bool Verbose { get; private set; }

    public bool PlacementOnly { get; private set; }

    /// <summary>Graph file whose placement --placement-only reports (default F5_Transformer.onnx).</summary>
    public string PlacementGraph { get; private set; } = "F5_Transformer.onnx";

    /// <summary>ONNX Runtime profile of the Preprocess graph alone, written to this file prefix.</summary>
    public string? ProfilePreprocess { get; private set; }

    /// <summary>F5Tts:Engine:Cuda:SdpaKernel (0: ONNX Runtime's choice).</summary>
    public int SdpaKernel { get; private set; }

    public bool RequireGpu { get; private set; }

    public int ProfileBatch { get; private set; }

    /// <summary>Steps of the one request <see cref="CudaProfiler.Request"/> profiles end to end; 0: off.</summary>
    public int ProfileRequest { get; private set; }

    /// <summary>--no-stage-graphs: Preprocess and Decode at exact shapes (Cuda:PreprocessCudaGraphs and DecodeCudaGraphs off).</summary>
    public bool NoStageGraphs { get; private set; }

    /// <summary>Seconds of the two-lane call pattern of the streamed-load hang (<see cref="LanesRepro"/>); 0: off.</summary>
    public int LanesRepro { get; private set; }

    /// <summary><see cref="LanesRepro"/> captures every graph before its pattern (the control).</summary>
    public bool ReproPrecapture { get; private set; }

    /// <summary>Seconds after which <see cref="LanesRepro"/> reports a call that has not returned.</summary>
    public int ReproStall { get; private set; } = 20;

    /// <summary>Prepare calls of a new batch of <see cref="LanesRepro"/> that run at once (the service's PrepareParallelism).</summary>
    public int ReproPrepareThreads { get; private set; } = 1;

    /// <summary>F5Tts:Engine:Cuda:CudaGraphs (implies static shapes).</summary>
    public bool CudaGraphs { get; private set; }

    /// <summary>F5Tts:Engine:StaticShapes.</summary>
    public bool StaticShapes { get; private set; }

    /// <summary>F5Tts:Engine:FrameBucket.</summary>
    public int FrameBucket { get; private set; } = 64;

    /// <summary>F5Tts:Engine:Cuda:CudnnConvAlgoSearch.</summary>
    public string CudnnSearch { get; private set; } = "HEURISTIC";

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--model": o.Model = Next(); break;
                case "--providers": o.Providers = Next(); break;
                case "--tf32": o.Tf32 = true; break;
                case "--frames": o.Frames = Int(); break;
                case "--ref-seconds": o.ReferenceSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": o.Warmup = Int(); break;
                case "--iters": o.Iters = Int(); break;
                case "--e2e-iters": o.E2eIters = Int(); break;
                case "--batches": o.Batches = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--batch-iters": o.BatchIters = Int(); break;
                case "--peak-tflops": o.PeakTflops = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--cpu-threads": o.CpuThreads = Int(); break;
                case "--label": o.Label = Next(); break;
                case "--device-name": o.DeviceName = Next(); break;
                case "--json-out": o.JsonOut = Next(); break;
                case "--verbose": o.Verbose = true; break;
                case "--placement-only": o.PlacementOnly = true; break;
                case "--placement-graph": o.PlacementGraph = Next(); break;
                case "--profile-preprocess": o.ProfilePreprocess = Next(); break;
                case "--sdpa-kernel": o.SdpaKernel = Int(); break;
                case "--require-gpu": o.RequireGpu = true; break;
                case "--profile-batch": o.ProfileBatch = Int(); break;
                case "--profile-request": o.ProfileRequest = Int(); break;
                case "--cuda-graphs": o.CudaGraphs = true; break;
                case "--no-stage-graphs": o.NoStageGraphs = true; break;
                case "--lanes-repro": o.LanesRepro = Int(); break;
                case "--repro-stall": o.ReproStall = Int(); break;
                case "--repro-precapture": o.ReproPrecapture = true; break;
                case "--repro-prepare-threads": o.ReproPrepareThreads = Int(); break;
                case "--static-shapes": o.StaticShapes = true; break;
                case "--frame-bucket": o.FrameBucket = Int(); break;
                case "--cudnn-search": o.CudnnSearch = Next().ToUpperInvariant(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        if (string.IsNullOrWhiteSpace(o.Model))
        {
            throw new ArgumentException("--model is required.");
        }

        if (o.Iters < 1 || o.E2eIters < 1 || o.BatchIters < 1 || o.Warmup < 0 || o.Batches.Length == 0 || o.Batches.Any(b => b < 1))
        {
            throw new ArgumentException("Iteration counts must be ≥ 1 (warm-up ≥ 0) and batches positive.");
        }

        if (o.LanesRepro < 0 || o.ReproStall < 1 || o.ReproPrepareThreads is < 1 or > 64)
        {
            throw new ArgumentException("--lanes-repro must be ≥ 0, --repro-stall ≥ 1 (seconds) and --repro-prepare-threads 1 … 64.");
        }

        if (o.FrameBucket is < 1 or > 4096 || o.CudnnSearch is not ("EXHAUSTIVE" or "HEURISTIC" or "DEFAULT"))
        {
            throw new ArgumentException("--frame-bucket must be 1..4096 and --cudnn-search EXHAUSTIVE, HEURISTIC or DEFAULT.");
        }

        return o;
    }
}
