using F5Tts.Inference.Metrics;
using Microsoft.AspNetCore.Http.Features;

namespace F5Tts.Api.Extensions;

/// <summary>
/// Counts every failed <c>/v1</c> request in <c>f5tts_requests_total</c> with its problem type: synthesis requests
/// are counted by the synthesis path itself (success and failures after admission); this middleware counts the rest
/// (malformed JSON, unknown routes and voices, an unavailable format, authentication…) exactly once, with the
/// <c>reason</c> label taken from the problem type written (<c>urn:f5tts:problem:malformed-json</c> →
/// <c>malformed-json</c>).
/// </summary>
public static class RequestCountingExtensions
{
    private const string ProblemTypePrefix = "urn:f5tts:problem:";

    /// <summary>Decorates the ProblemDetails service so the type of the problem a response carries is remembered.</summary>
    public static IServiceCollection AddF5TtsRequestCounting(this IServiceCollection services)
    {
        var inner = services.LastOrDefault(d => d.ServiceType == typeof(IProblemDetailsService))
            ?? throw new InvalidOperationException("AddProblemDetails must be called before AddF5TtsRequestCounting.");
        services.Remove(inner);
        services.AddSingleton<IProblemDetailsService>(provider => new ProblemTypeRecorder(
            (IProblemDetailsService)(inner.ImplementationInstance
                ?? inner.ImplementationFactory?.Invoke(provider)
                ?? ActivatorUtilities.CreateInstance(provider, inner.ImplementationType!))));
        return services;
    }

    /// <summary>The counting middleware; outside the exception handler so it sees the status the client got.</summary>
    public static WebApplication UseF5TtsRequestCounting(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var metrics = app.Services.GetRequiredService<F5TtsMetrics>();
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }

            using var scope = metrics.BeginRequest();
            // Counted when the response starts, so a client that has the answer can already see it in /metrics; a
            // request whose response never starts (the client went away) is counted when the pipeline unwinds.
            context.Response.OnStarting(() =>
            {
                Count(context, scope);
                return Task.CompletedTask;
            });
            try
            {
                await next(context);
            }
            finally
            {
                if (!context.Response.HasStarted)
                {
                    Count(context, scope);
                }
            }
        });
        return app;
    }

    private static void Count(HttpContext context, F5TtsMetrics.RequestScope scope)
    {
        var status = context.Response.StatusCode;
        var aborted = context.RequestAborted.IsCancellationRequested;
        if (status < StatusCodes.Status400BadRequest && !aborted)
        {
            return; // successes are counted where audio is produced; other 2xx are not synthesis
        }

        var type = context.Features.Get<ProblemTypeFeature>()?.Problem.Type;
        var reason = type is not null && type.StartsWith(ProblemTypePrefix, StringComparison.Ordinal)
            ? type[ProblemTypePrefix.Length..]
            : "none";
        var outcome = aborted || status == StatusCodes.Status499ClientClosedRequest
            ? RequestOutcome.Cancelled
            : status switch
            {
                StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable => RequestOutcome.Rejected,
                StatusCodes.Status504GatewayTimeout => RequestOutcome.Timeout,
                >= StatusCodes.Status500InternalServerError => RequestOutcome.Error,
                _ => RequestOutcome.ClientError,
            };
        scope.CountUnlessCounted(outcome, outcome == RequestOutcome.Cancelled ? "cancelled" : reason);
    }

    /// <summary>The problem the response carries (read when it starts: by then the customizer has filled its type).</summary>
    private sealed record ProblemTypeFeature(Microsoft.AspNetCore.Mvc.ProblemDetails Problem);

    /// <summary>Passes problems through to the real service, noting each one's type on the request.</summary>
    private sealed class ProblemTypeRecorder(IProblemDetailsService inner) : IProblemDetailsService
    {
        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            Note(context);
            return inner.WriteAsync(context);
        }

        public ValueTask<bool> TryWriteAsync(ProblemDetailsContext context)
        {
            Note(context);
            return inner.TryWriteAsync(context);
        }

        private static void Note(ProblemDetailsContext context) =>
            context.HttpContext.Features.Set(new ProblemTypeFeature(context.ProblemDetails));
    }
}
