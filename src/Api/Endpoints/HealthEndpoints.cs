using F5Tts.Api.Contracts;
using F5Tts.Api.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace F5Tts.Api.Endpoints;

/// <summary>Liveness and readiness probes (Kubernetes-style).</summary>
public static class HealthEndpoints
{
    /// <summary>Maps <c>GET /health/live</c> and <c>GET /health/ready</c>.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", GetLiveAsync)
            .WithName("GetLiveness")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/ready", GetReadyAsync)
            .WithName("GetReadiness")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    /// <summary>Liveness probe: 200 while the process runs and no device worker is stuck.</summary>
    /// <remarks>
    /// Use it as the liveness probe: a long model load or warm-up does not fail it, so the pod is not restarted during
    /// start-up. It fails once a device worker is stuck in an engine call that never returned (a hung GPU, past
    /// <c>F5Tts:Workers:StallSeconds</c>): only a restart frees that device.
    /// </remarks>
    /// <response code="200">The process is alive.</response>
    /// <response code="503">A device worker is stuck (the <c>devices</c> check names it): restart the process.</response>
    internal static Task<IResult> GetLiveAsync(HealthCheckService health, CancellationToken cancellationToken) =>
        RunAsync(health, HealthExtensions.LiveTag, cancellationToken);

    /// <summary>Readiness probe: 200 once models are loaded and warmed up, else 503.</summary>
    /// <remarks>
    /// Answers 200 only once every startup task (model directory check, engine load and warm-up) has completed and
    /// the service is not shutting down; 503 otherwise, with each check's status and the reason in the body.
    /// </remarks>
    /// <response code="200">Ready to serve synthesis requests.</response>
    /// <response code="503">Still starting, a startup task failed, or shutting down.</response>
    internal static Task<IResult> GetReadyAsync(HealthCheckService health, CancellationToken cancellationToken) =>
        RunAsync(health, HealthExtensions.ReadyTag, cancellationToken);

    private static async Task<IResult> RunAsync(HealthCheckService health, string tag, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains(tag), cancellationToken);
        var status = report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return TypedResults.Json(HealthResponse.From(report), statusCode: status);
    }
}
