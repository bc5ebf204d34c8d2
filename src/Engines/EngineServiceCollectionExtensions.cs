using F5Tts.Engines.F5;
using F5Tts.Engines.Options;
using F5Tts.Inference.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace F5Tts.Engines;

/// <summary>Registers the ONNX Runtime engine (docs/engine.md "Configuration").</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>Configuration key of the model directory (relative paths resolve against the content root).</summary>
    public const string ModelDirectoryKey = "F5Tts:Model:Directory";

    /// <summary>
    /// Binds <see cref="EngineOptions"/> to <c>F5Tts:Engine</c> (validated at start) and registers a singleton
    /// <see cref="ITtsEngine"/> created from the model directory at <c>F5Tts:Model:Directory</c>. The engine is built
    /// on first resolution; <see cref="ITtsEngine.WarmUp"/> is left to the caller (readiness flips after it).
    /// </summary>
    public static IServiceCollection AddF5TtsOnnxEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EngineOptions>()
            .Bind(configuration.GetSection(EngineOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddSingleton<ITtsEngine>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EngineOptions>>().Value;
            var contentRoot = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
            var directory = configuration[ModelDirectoryKey] ?? string.Empty;
            return OnnxTtsEngineFactory.Create(directory, options, sp.GetRequiredService<ILoggerFactory>(), contentRoot);
        });
        return services;
    }
}
