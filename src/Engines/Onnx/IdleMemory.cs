using System.Runtime.InteropServices;

namespace F5Tts.Engines.Onnx;

/// <summary>
/// Hands the memory a burst left behind back to the operating system when the engine goes idle. With ONNX Runtime's
/// CPU arena off every run's tensors come from and go back to the C heap, but glibc keeps freed memory in its arenas
/// and returns only what lies at the top of a heap, and the managed heap keeps what the burst's buffers needed: after
/// 30 concurrent streams the process stayed 30–80 % above its steady state (docs/reliability.md "Memory under bursts").
/// <see cref="Release"/> runs one compacting full collection (which also finalizes native handles nobody disposed)
/// and then <c>malloc_trim(0)</c>, which walks every glibc arena and releases all free pages, the middle of a heap
/// included. At start it fixes glibc's mmap and trim thresholds, so that large tensors are mapped and unmapped
/// rather than left in a heap (glibc otherwise raises its mmap threshold after the first large free).
/// Linux with glibc only; elsewhere (or on musl, which has neither call) only the collection runs.
/// </summary>
internal sealed partial class IdleMemory
{
    private const string Libc = "libc.so.6";
    private const int MTrimThreshold = -1; // glibc malloc.h
    private const int MMmapThreshold = -3;
    private const int Threshold = 128 * 1024; // glibc's own default before it adapts; fixed here

    // Set once the calls turned out to be missing (not glibc), so that they are not attempted again.
    private readonly bool _enabled;
    private bool _unavailable = !OperatingSystem.IsLinux();

    /// <param name="enabled">
    /// Whether to act at all: only for an engine whose stages all run on the CPU provider. On a GPU the tensors live in
    /// device memory and the host heap holds little, while a blocking collection between two requests would add its
    /// pause to a latency measured in tens of milliseconds.
    /// </param>
    public IdleMemory(bool enabled)
    {
        _enabled = enabled;
        if (!enabled)
        {
            return;
        }

        Call(() =>
        {
            _ = MallOpt(MMmapThreshold, Threshold);
            _ = MallOpt(MTrimThreshold, Threshold);
        });
    }

    /// <summary>
    /// Collects the managed heap and trims the native one. A blocking collection: called only when the worker has
    /// nothing to run, once per busy period.
    /// </summary>
    public void Release()
    {
        if (!_enabled)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Call(() => _ = MallocTrim(0));
    }

    /// <summary>True when every stage's provider list (as the engine describes it) starts with the CPU provider.</summary>
    public static bool AllOnCpu(IReadOnlyDictionary<string, string> providersByStage) =>
        providersByStage.Values.All(p => p.StartsWith("CPU", StringComparison.OrdinalIgnoreCase));

    private void Call(Action libc)
    {
        if (_unavailable)
        {
            return;
        }

        try
        {
            libc();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport(Libc, EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport(Libc, EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);
}
