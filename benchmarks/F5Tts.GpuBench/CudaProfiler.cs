using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using F5Tts.Inference.Engine;

namespace F5Tts.GpuBench;

/// <summary>
/// <c>--profile-batch B</c>: runs a few Transformer steps of B items between <c>cudaProfilerStart</c> and
/// <c>cudaProfilerStop</c>, so that Nsight Compute started with <c>--profile-from-start off</c> records exactly those
/// kernels (the <c>kernels</c> plan, benchmarks/README.md). The CUDA runtime is the one ONNX Runtime's CUDA provider loads.
/// </summary>
internal static partial class CudaProfiler
{
    private const string CudaRuntime = "libcudart.so.13";

    [LibraryImport(CudaRuntime, EntryPoint = "cudaProfilerStart")]
    private static partial int ProfilerStart();

    [LibraryImport(CudaRuntime, EntryPoint = "cudaProfilerStop")]
    private static partial int ProfilerStop();

    [LibraryImport(CudaRuntime, EntryPoint = "cudaDeviceSynchronize")]
    private static partial int DeviceSynchronize();

    public static int Run(ITtsEngine engine, Func<int, long, EngineInput> input, int batch, int profiledSteps)
    {
        var items = new List<IEngineItem>(batch);
        try
        {
            for (var k = 0; k < batch; k++)
            {
                items.Add(engine.Prepare(input(32, k), CancellationToken.None));
            }

            for (var s = 0; s < 8; s++)
            {
                engine.RunStep(items, CancellationToken.None); // membership change, bucket capture, warm caches
            }

            Check(DeviceSynchronize(), "cudaDeviceSynchronize");
            Check(ProfilerStart(), "cudaProfilerStart");
            for (var s = 0; s < profiledSteps; s++)
            {
                engine.RunStep(items, CancellationToken.None);
            }

            Check(DeviceSynchronize(), "cudaDeviceSynchronize");
            Check(ProfilerStop(), "cudaProfilerStop");
            Console.WriteLine($"profiled {profiledSteps} Transformer steps of batch {batch}");
            return 0;
        }
        finally
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }

    /// <summary>
    /// <c>--profile-request STEPS</c>: one request end to end — Prepare, STEPS Transformer steps, Decode, as the service
    /// runs a lone request — between <c>cudaProfilerStart</c> and <c>cudaProfilerStop</c>, after three untimed requests
    /// (CUDA graphs captured), 20 timed, the last for Nsight Systems' capture range (the <c>timeline</c> plan: where the GPU
    /// idles between the calls). Prints each call's median host time. Without a GPU (<paramref name="onGpu"/> false) the same calls run
    /// unprofiled, which exercises the harness on the CPU.
    /// </summary>
    public static int Request(ITtsEngine engine, Func<int, long, EngineInput> input, int steps, bool onGpu)
    {
        void Once(long seed, List<(string Call, double Ms)>? times)
        {
            var clock = Stopwatch.StartNew();
            void Lap(string call)
            {
                times?.Add((call, clock.Elapsed.TotalMilliseconds));
                clock.Restart();
            }

            using var item = engine.Prepare(input(steps, seed), CancellationToken.None);
            Lap("prepare");
            for (var s = 0; s < steps; s++)
            {
                engine.RunStep([item], CancellationToken.None);
                Lap($"step {s + 1}");
            }

            engine.Decode([item], CancellationToken.None);
            Lap("decode");
        }

        for (var k = 0; k < 3; k++)
        {
            Once(k, null);
        }

        // Twenty timed requests (one host lap is too noisy to compare builds: a Decode of unchanged code measured
        // 2.1 and 3.2 ms in two single-request runs), the profiler's capture range around the last one.
        const int Timed = 20;
        var runs = new List<List<(string Call, double Ms)>>();
        for (var k = 0; k < Timed; k++)
        {
            var last = k == Timed - 1 && onGpu;
            if (last)
            {
                Start();
            }

            var laps = new List<(string Call, double Ms)>();
            Once(3 + k, laps);
            runs.Add(laps);
            if (last)
            {
                Stop();
            }
        }

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one request of {steps} steps, {Timed} runs: median {Median(runs.Select(r => r.Sum(l => l.Ms))):0.00} ms on the host"));
        foreach (var call in runs[0].Select(l => l.Call))
        {
            var ms = runs.Select(r => r.First(l => l.Call == call).Ms).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PROFILE_REQUEST {call}: median {Median(ms):0.000} ms (min {ms.Min():0.000}, max {ms.Max():0.000})"));
        }

        return 0;
    }

    /// <summary>Synchronises the device and starts the profiler's capture (a no-op without a profiler attached).</summary>
    public static void Start()
    {
        Check(DeviceSynchronize(), "cudaDeviceSynchronize");
        Check(ProfilerStart(), "cudaProfilerStart");
    }

    /// <summary>Synchronises the device and stops the profiler's capture.</summary>
    public static void Stop()
    {
        Check(DeviceSynchronize(), "cudaDeviceSynchronize");
        Check(ProfilerStop(), "cudaProfilerStop");
    }

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"{call} returned CUDA error {status}.");
        }
    }
}
