using F5Tts.Inference.Health;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace F5Tts.Inference.Synthesis;

/// <summary>Registers the synthesis pipeline: batching options, the engine host (load, warm-up, drain) and <see cref="TtsService"/>.</summary>
public static class SynthesisServiceCollectionExtensions
{
    /// <summary>
    /// Adds the pipeline. An <see cref="Engine.ITtsEngine"/> must be registered as well (e.g. by the Engines project's
    /// <c>AddF5TtsOnnxEngine</c>); it is loaded when the host starts.
    /// </summary>
    public static IServiceCollection AddF5TtsSynthesis(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddF5TtsOptions<BatchingOptions>(configuration, BatchingOptions.SectionName);
        services.AddF5TtsOptions<SynthesisOptions>(configuration, SynthesisOptions.SectionName);
        services.AddF5TtsOptions<WorkersOptions>(configuration, WorkersOptions.SectionName);
        services.TryAddSingleton<Metrics.F5TtsMetrics>();
        services.TryAddSingleton<EngineHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddStartupTasks();
        services.AddStartupTask<TextFrontEndStartupTask>();
        services.AddSingleton<IStartupTask>(sp => sp.GetRequiredService<EngineHost>());
        services.TryAddSingleton<TtsService>();
        services.AddF5TtsOptions<DubOptions>(configuration, DubOptions.SectionName);
        services.TryAddSingleton<Dubbing.DubService>();
        services.AddF5TtsOptions<ScriptOptions>(configuration, ScriptOptions.SectionName);
        return services;
    }
}
