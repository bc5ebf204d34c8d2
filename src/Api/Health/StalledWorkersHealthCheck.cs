using F5Tts.Inference.Synthesis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Health;

/// <summary>
/// Liveness: fails once a device worker is stuck in an engine call that never returned (<c>F5Tts:Workers:StallSeconds</c>).
/// Its thread waits in the driver and cannot be freed, nor its device used again, so only a restart brings the capacity
/// back; readiness alone would merely take the instance out of the load balancer.
/// </summary>
internal sealed class StalledWorkersHealthCheck(EngineHost engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stalled = engine.StalledWorkers;
        return Task.FromResult(stalled.Count == 0
            ? HealthCheckResult.Healthy("No device worker is stuck.")
            : HealthCheckResult.Unhealthy($"Device worker(s) {string.Join(", ", stalled)} stuck in an engine call that never returned; restart the process."));
    }
}
