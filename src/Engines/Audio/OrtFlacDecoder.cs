using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.Audio;

/// <summary>
/// FLAC reference audio through ONNX Runtime Extensions' <c>AudioDecoder</c> op (dr_flac inside
/// <c>libortextensions.so</c>, NuGet Microsoft.ML.OnnxRuntime.Extensions). WAV and MP3 stay with the built-in
/// decoders, which the op does not match on malformed input (docs/audio.md "Reference audio input"). The header is
/// checked and the decoded length bounded (<see cref="FlacStream"/>) before the native code runs. The session is made
/// on first use; without the library FLAC stays 415 and the reason is logged once.
/// </summary>
internal sealed class OrtFlacDecoder : IReferenceAudioDecoder, IDisposable
{
    /// <summary>File name of the ONNX Runtime Extensions library.</summary>
    public const string LibraryFileName = "libortextensions.so";

    private readonly Lazy<InferenceSession?> _session;
    private readonly ILogger<OrtFlacDecoder> _logger;
    private SessionOptions? _options;

    public OrtFlacDecoder(ILogger<OrtFlacDecoder> logger)
    {
        _logger = logger;
        _session = new Lazy<InferenceSession?>(CreateSession, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The library registered with the session, or null when it was not found.</summary>
    public static string? FindLibrary(string? appDirectory = null)
    {
        var root = appDirectory ?? AppContext.BaseDirectory;
        // A RID-specific build or publish puts it beside the app; a portable build under runtimes/{rid}/native.
        string[] candidates =
        [
            Path.Combine(root, LibraryFileName),
            Path.Combine(root, "runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "native", LibraryFileName),
            Path.Combine(root, "runtimes", "linux-x64", "native", LibraryFileName),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    public bool CanDecode(ReadOnlySpan<byte> data) => FlacStream.LooksLikeFlac(data);

    public DecodedAudio Decode(byte[] data, double maxSeconds)
    {
        ArgumentNullException.ThrowIfNull(data);
        var stream = FlacStream.Read(data);
        if (stream.MaxFrames == 0)
        {
            throw FlacStream.Malformed("no audio frame");
        }

        if (stream.MaxFrames > maxSeconds * stream.SampleRate)
        {
            throw new AudioRequestException(TtsErrorKind.InvalidInput, "reference-too-long",
                $"The FLAC file is up to {(double)stream.MaxFrames / stream.SampleRate:F1} s long, far beyond the reference limit.");
        }

        float[] samples;
        try
        {
            samples = RunOp(data);
        }
        catch (OnnxRuntimeException ex)
        {
            throw FlacStream.Malformed($"the decoder refused it ({ex.Message.Split('\n')[0]})");
        }

        if (samples.Length == 0 || samples.Length % stream.Channels != 0)
        {
            throw FlacStream.Malformed("no complete sample frame could be decoded");
        }

        foreach (var s in samples)
        {
            if (!float.IsFinite(s))
            {
                throw FlacStream.Malformed("it decodes to samples that are not finite");
            }
        }

        return new DecodedAudio(samples, stream.SampleRate, stream.Channels, $"flac/{stream.BitsPerSample}");
    }

    /// <summary>
    /// The op alone on any bytes (it detects WAV, MP3 and FLAC itself), without the checks of <see cref="Decode"/>:
    /// what the evaluation tests compare with the built-in decoders.
    /// </summary>
    internal float[] RunOp(byte[] data)
    {
        var session = _session.Value ?? throw new AudioRequestException(TtsErrorKind.UnsupportedMedia, "unsupported-audio",
            "Unsupported audio: FLAC needs ONNX Runtime Extensions (libortextensions.so), which this server lacks; send a WAV, MP3 or Opus file.");
        using var run = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(data, [1, data.Length]);
        using var outputs = session.Run(run, [AudioDecoderModel.Input], [input], [AudioDecoderModel.Output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        if (_session.IsValueCreated)
        {
            _session.Value?.Dispose();
        }

        _options?.Dispose();
    }

    private InferenceSession? CreateSession()
    {
        var library = FindLibrary();
        if (library is null)
        {
            _logger.LogWarning("FLAC reference audio is unavailable: {Library} was not found beside the app", LibraryFileName);
            return null;
        }

        _options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _options.RegisterCustomOpLibrary(library);
        return new InferenceSession(AudioDecoderModel.Build(), _options);
    }
}
