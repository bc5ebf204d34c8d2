using System.Runtime.InteropServices;

namespace F5Tts.Inference.Audio.Lame;

/// <summary>
/// P/Invoke surface of LAME (libmp3lame.so.0 from Debian's libmp3lame0). MP3 is optional: where the library is not
/// installed the service reports the format as unavailable instead of failing (docs/audio.md).
/// </summary>
internal static partial class LameNative
{
    private const string Library = "libmp3lame.so.0";

    /// <summary>MPEG_mode MONO.</summary>
    internal const int ModeMono = 3;

    [LibraryImport(Library, EntryPoint = "lame_init")]
    internal static partial LameHandle Init();

    [LibraryImport(Library, EntryPoint = "lame_close")]
    internal static partial int Close(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "lame_set_in_samplerate")]
    internal static partial int SetInSampleRate(LameHandle handle, int rate);

    [LibraryImport(Library, EntryPoint = "lame_set_out_samplerate")]
    internal static partial int SetOutSampleRate(LameHandle handle, int rate);

    [LibraryImport(Library, EntryPoint = "lame_set_num_channels")]
    internal static partial int SetNumChannels(LameHandle handle, int channels);

    [LibraryImport(Library, EntryPoint = "lame_set_mode")]
    internal static partial int SetMode(LameHandle handle, int mode);

    [LibraryImport(Library, EntryPoint = "lame_set_brate")]
    internal static partial int SetBitRate(LameHandle handle, int kbps);

    [LibraryImport(Library, EntryPoint = "lame_set_quality")]
    internal static partial int SetQuality(LameHandle handle, int quality);

    // No Xing/LAME info frame: it would need a seek back to the start, which a streamed response cannot do.
    [LibraryImport(Library, EntryPoint = "lame_set_bWriteVbrTag")]
    internal static partial int SetWriteVbrTag(LameHandle handle, int write);

    [LibraryImport(Library, EntryPoint = "lame_init_params")]
    internal static partial int InitParams(LameHandle handle);

    [LibraryImport(Library, EntryPoint = "lame_encode_buffer_ieee_float")]
    internal static unsafe partial int EncodeFloat(LameHandle handle, float* left, float* right, int samples, byte* output, int outputSize);

    [LibraryImport(Library, EntryPoint = "lame_encode_flush")]
    internal static unsafe partial int Flush(LameHandle handle, byte* output, int outputSize);

    /// <summary>Whether libmp3lame can be loaded on this machine.</summary>
    internal static bool IsAvailable()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(LameNative).Assembly, null, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }
}

/// <summary>Owns one <c>lame_global_flags*</c>.</summary>
internal sealed class LameHandle : SafeHandle
{
    public LameHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LameNative.Close(handle) == 0;
}
