using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace F5Tts.Inference.Health;

/// <summary>Registration of startup tasks and the readiness tracker.</summary>
public static class StartupTaskServiceCollectionExtensions
{
    /// <summary>Registers the tracker and the runner (idempotent).</summary>
    public static IServiceCollection AddStartupTasks(this IServiceCollection services)
    {
        services.TryAddSingleton<StartupTaskTracker>();
        services.AddHostedService<StartupTaskRunner>();
        return services;
    }

    /// <summary>
    /// Registers a startup task: readiness waits for it. Tasks run in registration order (e.g. register the engine
    /// load + warm-up after the model directory check).
    /// </summary>
    public static IServiceCollection AddStartupTask<TTask>(this IServiceCollection services)
        where TTask : class, IStartupTask
    {
        services.AddStartupTasks();
        services.AddSingleton<IStartupTask, TTask>();
        return services;
    }
}
