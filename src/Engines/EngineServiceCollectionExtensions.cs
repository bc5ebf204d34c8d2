using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace F5Tts.Engines;

/// <summary>Registers the ONNX Runtime engine (docs/engine.md "Configuration").</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="EngineOptions"/> to <c>F5Tts:Engine</c> and <see cref="ModelOptions"/> to <c>F5Tts:Model</c>
    /// (both validated at start) and registers a singleton <see cref="ITtsEngine"/> created from the model directory.
    /// The engine is built on first resolution; <see cref="ITtsEngine.WarmUp"/> is left to the caller (readiness flips
    /// after it). The container owns the engine and disposes it when the host stops (docs/engine.md "Ownership and
    /// disposal").
    /// </summary>
    public static IServiceCollection AddF5TtsOnnxEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddF5TtsModelOptions(configuration);
        services.AddF5TtsOptions<EngineOptions>(configuration, EngineOptions.SectionName);
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        // One CUDA graph capture gate for every engine of the process: ONNX Runtime captures in global mode, which any
        // thread's CUDA call can break, whichever engine or device it serves (docs/engine.md "Concurrent Prepare and the capture gate").
        services.AddSingleton<CaptureGate>();
        services.AddSingleton<ITtsEngine>(sp => OnnxTtsEngineFactory.Create(
            sp.GetRequiredService<IOptions<ModelOptions>>().Value.Directory,
            sp.GetRequiredService<IOptions<EngineOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            ContentRootPath.Of(sp),
            sp.GetRequiredService<CaptureGate>()));
        // FLAC reference audio through ONNX Runtime Extensions (docs/audio.md "Reference audio input").
        services.TryAddEnumerable(ServiceDescriptor.Singleton<F5Tts.Inference.Audio.IReferenceAudioDecoder, Audio.OrtFlacDecoder>());
        services.AddSingleton<ITtsEngineFactory>(sp => new OnnxEngineDeviceFactory(
            sp.GetRequiredService<IOptions<ModelOptions>>().Value.Directory,
            sp.GetRequiredService<IOptions<EngineOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            ContentRootPath.Of(sp),
            sp.GetRequiredService<CaptureGate>()));
        return services;
    }
}
