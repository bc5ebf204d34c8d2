using F5Tts.Api.Health;
using F5Tts.Inference.Health;

namespace F5Tts.Api.Extensions;

/// <summary>Liveness and readiness checks.</summary>
public static class HealthExtensions
{
    /// <summary>Tag of checks that make up <c>/health/live</c>.</summary>
    public const string LiveTag = "live";

    /// <summary>Tag of checks that make up <c>/health/ready</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Registers the checks and the startup-task machinery with the model directory check as the first task.
    /// The engine's load + warm-up registers itself later with <c>services.AddStartupTask&lt;T&gt;()</c>.
    /// </summary>
    public static IServiceCollection AddF5TtsHealth(this IServiceCollection services)
    {
        services.AddStartupTask<ModelDirectoryStartupTask>();
        services.AddHealthChecks()
            .AddCheck<ProcessHealthCheck>("process", tags: [LiveTag])
            .AddCheck<StalledWorkersHealthCheck>("devices", tags: [LiveTag])
            .AddCheck<StartupTasksHealthCheck>("startup", tags: [ReadyTag])
            .AddCheck<ShutdownHealthCheck>("shutdown", tags: [ReadyTag])
            .AddCheck<WorkersHealthCheck>("workers", tags: [ReadyTag]);
        return services;
    }
}
