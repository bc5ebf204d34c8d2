using F5Tts.Api.Synthesis;
using F5Tts.Engines;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference;
using F5Tts.Inference.Text;
namespace F5Tts.Api.Extensions;

/// <summary>
/// Service registration of the whole service, one line per area. Each area (Text, Audio, Voices, Synthesis, Engine)
/// brings its own <c>Add...</c> extension next to its code and gets one line here; options go through
/// <see cref="F5Tts.Inference.Options.F5TtsOptionsExtensions.AddF5TtsOptions{TOptions}"/>, startup work through
/// <see cref="F5Tts.Inference.Health.StartupTaskServiceCollectionExtensions.AddStartupTask{TTask}"/>.
/// </summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Registers everything the HTTP host needs.</summary>
    public static IServiceCollection AddF5TtsApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Cross-cutting host concerns.
        services.AddF5TtsHostOptions(configuration);
        services.AddF5TtsProblemDetails();
        services.AddF5TtsRequestCounting();
        services.AddF5TtsTelemetry();
        services.AddF5TtsHealth();
        services.AddF5TtsSwagger();
        services.AddF5TtsAuth(configuration);

        // Feature areas: one line each.
        services.AddF5TtsText(configuration);
        services.AddF5TtsAudio(configuration);
        services.AddF5TtsOnnxEngine(configuration);
        services.AddF5TtsSynthesis(configuration);
        services.AddF5TtsRealtime(configuration);
        services.AddSingleton<SpeechResponder>();
        services.AddSingleton<OutputFormats>();
        services.AddHostedService<OutputFormatsStartupLog>();
        return services;
    }
}
