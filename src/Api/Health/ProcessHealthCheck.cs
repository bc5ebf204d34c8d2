using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Health;

/// <summary>
/// Liveness: if this code runs, the process and its request pipeline are alive. Reports uptime and working set so
/// a human reading the probe learns something.
/// </summary>
internal sealed class ProcessHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var process = Process.GetCurrentProcess();
        var data = new Dictionary<string, object>
        {
            ["uptimeSeconds"] = Math.Round((DateTime.Now - process.StartTime).TotalSeconds, 1),
            ["workingSetBytes"] = process.WorkingSet64,
        };
        return Task.FromResult(HealthCheckResult.Healthy("Process is running.", data));
    }
}
