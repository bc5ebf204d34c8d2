using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Health;

/// <summary>
/// Readiness turns unhealthy as soon as shutdown begins, so the load balancer stops sending new work while queued
/// requests drain within F5Tts:Server:ShutdownTimeoutSeconds.
/// </summary>
internal sealed class ShutdownHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("Shutting down.")
            : HealthCheckResult.Healthy("Accepting work."));
}
