using System.ComponentModel;
using System.Runtime.InteropServices;

namespace F5Tts.Inference.Voices;

/// <summary>
/// Makes a directory's entries durable (a created file's name, a rename into or out of it). Flushing a file writes
/// its data, not the directory entry that names it; on Linux and macOS that takes an <c>fsync</c> of the directory
/// itself, which .NET cannot open as a stream, so this calls glibc directly. Other systems are not a deployment
/// target and get nothing (Windows' NTFS journals its metadata anyway).
/// </summary>
internal static partial class DirectorySync
{
    private const string Libc = "libc.so.6";
    private const int ReadOnly = 0; // O_RDONLY

    /// <summary>fsyncs <paramref name="directory"/>; throws <see cref="IOException"/> when the system refuses.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw Error("open", directory);
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw Error("fsync", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Error(string call, string directory)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({directory}) failed: {new Win32Exception(errno).Message}", errno);
    }

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
