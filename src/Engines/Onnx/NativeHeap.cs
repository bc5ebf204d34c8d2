using System.Runtime.InteropServices;

namespace F5Tts.Engines.Onnx;

/// <summary>
/// Hands free native heap memory back to the operating system. ONNX Runtime (with its CPU arena off) allocates and
/// frees every run's tensors through the C heap; glibc keeps freed memory in its arenas and returns to the system only
/// what lies at the top of a heap, so after a burst of long requests the process stays far above its steady state.
/// <c>malloc_trim(0)</c> walks every arena and releases all free pages (the middle of a heap included, by
/// <c>madvise</c>). It costs a few milliseconds, so the engine calls it only when the worker goes idle. Linux with
/// glibc only: elsewhere (or on musl, which has no <c>malloc_trim</c>) it does nothing.
/// </summary>
internal sealed partial class NativeHeap
{
    private const string Libc = "libc.so.6";

    // Set once the call turned out to be missing (not glibc), so that it is not attempted again.
    private bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Releases the free memory of every glibc arena; true when something was returned to the system.</summary>
    public bool Trim()
    {
        if (_unavailable)
        {
            return false;
        }

        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }

    [LibraryImport(Libc, EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
