using F5Tts.Inference.Synthesis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Health;

/// <summary>
/// Readiness turns unhealthy once the workers are warm but none serves — every device worker was taken out after
/// faults (docs/serving.md "Several devices") — so the load balancer stops sending requests that could only get 503.
/// Before warm-up ends the startup check speaks for the engine.
/// </summary>
internal sealed class WorkersHealthCheck(EngineHost engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(engine.ServingWorkers is 0
            ? HealthCheckResult.Unhealthy("No device worker is in service.")
            : HealthCheckResult.Healthy(engine.ServingWorkers is { } n ? $"{n} device worker(s) in service." : "Warming up."));
}
