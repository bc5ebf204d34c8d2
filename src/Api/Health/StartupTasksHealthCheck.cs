using F5Tts.Inference.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Health;

/// <summary>Readiness: healthy only when every registered startup task has completed.</summary>
internal sealed class StartupTasksHealthCheck(StartupTaskTracker tracker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var tasks = tracker.Snapshot();
        var data = tasks.ToDictionary(t => t.Name, object (t) => t.State.ToString());
        if (tracker.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Healthy("All startup tasks completed.", data));
        }

        var failed = tasks.Where(t => t.State == StartupTaskState.Failed).ToList();
        var description = failed.Count > 0
            ? string.Join(" ", failed.Select(t => $"{t.Name} failed: {t.Error}"))
            : tasks.Count == 0
                ? "No startup tasks registered."
                : "Waiting for: " + string.Join(", ", tasks.Where(t => t.State != StartupTaskState.Completed).Select(t => t.Name)) + ".";
        return Task.FromResult(HealthCheckResult.Unhealthy(description, data: data));
    }
}
