using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.Onnx;

/// <summary>
/// Where the latents live between Euler steps (docs/engine.md "Device residency"). On a GPU stage the ping-pong
/// latent buffers are device memory from the session's CUDA allocator and are read back with
/// <see cref="OrtEnv.CopyTensors"/> only when batch membership changes or an item is decoded. When the copy cannot be
/// made to work (a probe at start), the buffers fall back to host memory and ONNX Runtime moves the latents each step.
/// On CPU everything is host memory and nothing is copied per step. The Decode's static-shape buffers have their own
/// instance, on the Decode session's allocator (<see cref="F5.StaticDecodeBuffers"/>).
/// </summary>
internal sealed unsafe class DeviceMemory : IDisposable
{
    private readonly OrtAllocator? _allocator;

    private DeviceMemory(OrtMemoryInfo memoryInfo, OrtAllocator? allocator, string mode)
    {
        MemoryInfo = memoryInfo;
        _allocator = allocator;
        Mode = mode;
    }

    /// <summary>True when latent buffers are on the GPU.</summary>
    public bool IsDevice => _allocator is not null;

    /// <summary>Describes the residency mode for logs and <c>/v1/models</c>.</summary>
    public string Mode { get; }

    public OrtMemoryInfo MemoryInfo { get; }

    /// <summary>
    /// The memory of <paramref name="stage"/>'s buffers: its session's CUDA allocator when the stage runs on a GPU and
    /// <see cref="OrtEnv.CopyTensors"/> can copy to and from it (probed), else host memory. <paramref name="fallback"/>
    /// says in the warning what host memory means for that stage (the Transformer's latents, by default).
    /// </summary>
    public static DeviceMemory Create(StageSession stage, int deviceId, ILogger logger, string fallback = "latents move host↔device every step")
    {
        if (!stage.OnGpu)
        {
            return Host("host (CPU provider)");
        }

        OrtMemoryInfo? info = null;
        OrtAllocator? allocator = null;
        try
        {
            info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
            allocator = new OrtAllocator(stage.Session, info);
            if (Probe(allocator, info, out var firstError))
            {
                return new DeviceMemory(info, allocator, "device (CUDA memory, OrtEnv.CopyTensors on membership change)");
            }

            if (RegisterCudaLibrary(logger) && Probe(allocator, info, out firstError))
            {
                return new DeviceMemory(info, allocator, "device (CUDA memory, OrtEnv.CopyTensors via the registered CUDA plugin library)");
            }

            logger.LogWarning("OrtEnv.CopyTensors cannot copy CUDA tensors here ({Reason}); {Fallback}.", firstError, fallback);
        }
        catch (OnnxRuntimeException e)
        {
            logger.LogWarning("No CUDA allocator for the {Stage} session ({Reason}); {Fallback}.", stage.Stage, e.Message, fallback);
        }

        allocator?.Dispose();
        info?.Dispose();
        return Host("host (latents copied by ONNX Runtime each step)");
    }

    private static DeviceMemory Host(string mode) => new(OrtMemoryInfo.DefaultInstance, null, mode);

    /// <summary>Allocates a buffer of <paramref name="bytes"/> in this memory (device or host).</summary>
    public NativeBuffer Allocate(long bytes)
    {
        bytes = Math.Max(bytes, 64);
        if (_allocator is not null)
        {
            var allocation = _allocator.Allocate((uint)bytes);
            return new NativeBuffer(allocation.DangerousGetHandle(), bytes, MemoryInfo, allocation);
        }

        return NativeBuffer.AllocateHost(bytes);
    }

    /// <summary>Copies tensor <paramref name="source"/> (device or host) into host tensor <paramref name="hostDestination"/>.</summary>
    public void CopyToHost(OrtValue source, OrtValue hostDestination)
    {
        if (_allocator is null)
        {
            var src = source.GetTensorMutableRawData();
            var dst = hostDestination.GetTensorMutableRawData();
            src.CopyTo(dst);
            return;
        }

        OrtEnv.Instance().CopyTensors([source], [hostDestination], null);
    }

    /// <summary>
    /// Copies host tensors <paramref name="hostSources"/> into tensors <paramref name="destinations"/> of this memory,
    /// pairwise, in one <see cref="OrtEnv.CopyTensors"/> call on a device (ONNX Runtime's CUDA copy from pageable host
    /// memory synchronises before returning, so a following Run sees the data). Host memory: plain byte copies.
    /// </summary>
    public void Upload(OrtValue[] hostSources, OrtValue[] destinations)
    {
        if (_allocator is not null)
        {
            OrtEnv.Instance().CopyTensors(hostSources, destinations, null);
            return;
        }

        for (var i = 0; i < hostSources.Length; i++)
        {
            hostSources[i].GetTensorMutableRawData().CopyTo(destinations[i].GetTensorMutableRawData());
        }
    }

    /// <summary>
    /// Copies tensors <paramref name="sources"/> of this memory into host tensors <paramref name="hostDestinations"/>,
    /// pairwise, in one <see cref="OrtEnv.CopyTensors"/> call on a device (synchronous: the data is there when it
    /// returns). Host memory: plain byte copies.
    /// </summary>
    public void Download(OrtValue[] sources, OrtValue[] hostDestinations)
    {
        if (_allocator is not null)
        {
            OrtEnv.Instance().CopyTensors(sources, hostDestinations, null);
            return;
        }

        for (var i = 0; i < sources.Length; i++)
        {
            sources[i].GetTensorMutableRawData().CopyTo(hostDestinations[i].GetTensorMutableRawData());
        }
    }

    private static bool Probe(OrtAllocator allocator, OrtMemoryInfo info, out string error)
    {
        error = string.Empty;
        try
        {
            float[] up = [1.5f, -2.25f, 3.125f, 7f];
            var down = new float[4];
            using var allocation = allocator.Allocate(16);
            using var device = OrtValue.CreateTensorValueWithData(info, TensorElementType.Float, [4], allocation.DangerousGetHandle(), 16);
            using var hostUp = OrtValue.CreateTensorValueFromMemory(up, [4]);
            using var hostDown = OrtValue.CreateTensorValueFromMemory(down, [4]);
            OrtEnv.Instance().CopyTensors([hostUp], [device], null);
            OrtEnv.Instance().CopyTensors([device], [hostDown], null);
            if (!up.AsSpan().SequenceEqual(down))
            {
                error = "round trip returned different values";
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or NotSupportedException)
        {
            error = e.Message;
            return false;
        }
    }

    private static bool RegisterCudaLibrary(ILogger logger)
    {
        // ORT ≥ 1.23 registers a provider's data transfer with the environment when the provider library is registered
        // as a plugin; the classic AppendExecutionProvider_CUDA path does not. Registering the same library here is
        // what makes OrtEnv.CopyTensors understand CUDA memory.
        var library = Path.Combine(AppContext.BaseDirectory, "libonnxruntime_providers_cuda.so");
        if (!File.Exists(library))
        {
            library = "libonnxruntime_providers_cuda.so";
        }

        try
        {
            OrtEnv.Instance().RegisterExecutionProviderLibrary("F5TtsCuda", library);
            return true;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            logger.LogDebug("Registering {Library} as a plugin library failed: {Reason}", library, e.Message);
            return false;
        }
    }

    public void Dispose()
    {
        _allocator?.Dispose();
        if (_allocator is not null)
        {
            MemoryInfo.Dispose();
        }
    }
}

/// <summary>A raw buffer (device or host) that tensors of any shape up to its size can view.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private readonly OrtMemoryAllocation? _allocation;
    private bool _disposed;

    public NativeBuffer(IntPtr pointer, long bytes, OrtMemoryInfo memoryInfo, OrtMemoryAllocation? allocation)
    {
        Pointer = pointer;
        Bytes = bytes;
        MemoryInfo = memoryInfo;
        _allocation = allocation;
    }

    public IntPtr Pointer { get; }

    public long Bytes { get; }

    /// <summary>
    /// Zeroed host memory aligned to 64 bytes. Every host tensor the engine feeds ONNX Runtime lives in such memory so
    /// that the CPU kernels take the same vectorised path on every call: with unaligned managed arrays the rounding of
    /// reductions can depend on where the GC put the array, and seeded requests would not repeat bit for bit.
    /// </summary>
    public static NativeBuffer AllocateHost(long bytes)
    {
        bytes = Math.Max(bytes, 64);
        var ptr = (IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Clear((void*)ptr, (nuint)bytes);
        return new NativeBuffer(ptr, bytes, OrtMemoryInfo.DefaultInstance, null);
    }

    /// <summary>A host buffer holding a copy of <paramref name="values"/>.</summary>
    public static NativeBuffer HostCopy<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var buffer = AllocateHost((long)values.Length * sizeof(T));
        values.CopyTo(buffer.AsSpan<T>(values.Length));
        return buffer;
    }

    /// <summary>The first <paramref name="count"/> elements of a host buffer.</summary>
    public Span<T> AsSpan<T>(int count)
        where T : unmanaged => AsSpan<T>(count, 0);

    /// <summary><paramref name="count"/> elements of a host buffer from <paramref name="offsetBytes"/> on.</summary>
    public Span<T> AsSpan<T>(int count, long offsetBytes)
        where T : unmanaged
    {
        if (_allocation is not null)
        {
            throw new InvalidOperationException("Device memory is not addressable from the host.");
        }

        if (count < 0 || offsetBytes < 0 || offsetBytes + (long)count * sizeof(T) > Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        return new Span<T>((void*)(Pointer + (nint)offsetBytes), count);
    }

    /// <summary>A tensor of <typeparamref name="T"/> over the start of this buffer.</summary>
    public OrtValue View<T>(params long[] shape)
        where T : unmanaged => View(TypeOf<T>(), shape, sizeof(T));

    private static TensorElementType TypeOf<T>() => typeof(T) == typeof(float) ? TensorElementType.Float
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : typeof(T) == typeof(int) ? TensorElementType.Int32
        : typeof(T) == typeof(short) ? TensorElementType.Int16
        : throw new NotSupportedException(typeof(T).Name);

    public OrtMemoryInfo MemoryInfo { get; }

    /// <summary>A tensor over the start of this buffer; the caller disposes the view before the buffer.</summary>
    public OrtValue View(TensorElementType type, long[] shape, int elementSize) => View(type, shape, elementSize, 0);

    /// <summary>
    /// A tensor starting <paramref name="offsetBytes"/> into this buffer (a multiple of the element size); the caller
    /// disposes the view before the buffer.
    /// </summary>
    public OrtValue View(TensorElementType type, long[] shape, int elementSize, long offsetBytes)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        var bytes = count * elementSize;
        if (offsetBytes < 0 || offsetBytes % elementSize != 0 || offsetBytes + bytes > Bytes)
        {
            throw new InvalidOperationException($"Tensor of {bytes} bytes at offset {offsetBytes} does not fit a buffer of {Bytes} bytes.");
        }

        return OrtValue.CreateTensorValueWithData(MemoryInfo, type, shape, Pointer + (nint)offsetBytes, bytes);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_allocation is not null)
        {
            _allocation.Dispose();
        }
        else
        {
            NativeMemory.AlignedFree((void*)Pointer);
        }
    }
}
