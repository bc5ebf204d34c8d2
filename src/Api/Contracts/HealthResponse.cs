using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Contracts;

/// <summary>Body of <c>/health/live</c> and <c>/health/ready</c>.</summary>
public sealed class HealthResponse
{
    /// <summary>Overall status: <c>Healthy</c> or <c>Unhealthy</c>.</summary>
    /// <example>Healthy</example>
    public required string Status { get; init; }

    /// <summary>Time spent running the checks, in milliseconds.</summary>
    /// <example>0.42</example>
    public required double TotalDurationMs { get; init; }

    /// <summary>Each check's result.</summary>
    public required IReadOnlyList<HealthCheckEntry> Checks { get; init; }

    internal static HealthResponse From(HealthReport report) => new()
    {
        Status = report.Status.ToString(),
        TotalDurationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 3),
        Checks = [.. report.Entries.Select(e => new HealthCheckEntry
        {
            Name = e.Key,
            Status = e.Value.Status.ToString(),
            Description = e.Value.Description,
            DurationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 3),
            Data = e.Value.Data.Count == 0 ? null : e.Value.Data,
        })],
    };
}

/// <summary>One health check's result.</summary>
public sealed class HealthCheckEntry
{
    /// <summary>Check name: <c>process</c> (live), <c>startup</c> and <c>shutdown</c> (ready).</summary>
    /// <example>startup</example>
    public required string Name { get; init; }

    /// <summary><c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>.</summary>
    /// <example>Unhealthy</example>
    public required string Status { get; init; }

    /// <summary>Human-readable explanation, e.g. which startup task is pending or why it failed.</summary>
    /// <example>Waiting for: engine.</example>
    public string? Description { get; init; }

    /// <summary>Time the check took, in milliseconds.</summary>
    /// <example>0.12</example>
    public double DurationMs { get; init; }

    /// <summary>Details, e.g. the state of each startup task (<c>Pending</c>, <c>Running</c>, <c>Completed</c>, <c>Failed</c>).</summary>
    public IReadOnlyDictionary<string, object>? Data { get; init; }
}
