using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Contracts;

/// <summary>Body of <c>/health/live</c> and <c>/health/ready</c>.</summary>
/// <param name="Status">Overall status: <c>Healthy</c> or <c>Unhealthy</c>.</param>
/// <param name="TotalDurationMs">Time spent running the checks, in milliseconds.</param>
/// <param name="Checks">Each check's result.</param>
public sealed record HealthResponse(string Status, double TotalDurationMs, IReadOnlyList<HealthCheckEntry> Checks)
{
    internal static HealthResponse From(HealthReport report) => new(
        report.Status.ToString(),
        Math.Round(report.TotalDuration.TotalMilliseconds, 3),
        [.. report.Entries.Select(e => new HealthCheckEntry(
            e.Key,
            e.Value.Status.ToString(),
            e.Value.Description,
            Math.Round(e.Value.Duration.TotalMilliseconds, 3),
            e.Value.Data.Count == 0 ? null : e.Value.Data))]);
}

/// <summary>One health check's result.</summary>
/// <param name="Name">Check name, e.g. <c>startup</c>.</param>
/// <param name="Status"><c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>.</param>
/// <param name="Description">Human-readable explanation, e.g. which startup task failed and why.</param>
/// <param name="DurationMs">Time the check took, in milliseconds.</param>
/// <param name="Data">Details, e.g. the state of each startup task.</param>
public sealed record HealthCheckEntry(
    string Name,
    string Status,
    string? Description,
    double DurationMs,
    IReadOnlyDictionary<string, object>? Data);
