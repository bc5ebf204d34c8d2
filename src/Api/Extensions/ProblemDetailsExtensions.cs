using System.Text.Json.Serialization;
using F5Tts.Api.Errors;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace F5Tts.Api.Extensions;

/// <summary>RFC 9457 ProblemDetails on every error path.</summary>
public static class ProblemDetailsExtensions
{
    /// <summary>
    /// Registers ProblemDetails (with a customizer that fills <c>type</c> from <see cref="ProblemTypes"/> and adds
    /// <c>traceId</c> for framework-made problems), the single exception handler, and makes minimal-API binding throw
    /// on bad requests so malformed JSON reaches the handler with its cause instead of a bare 400.
    /// </summary>
    public static IServiceCollection AddF5TtsProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                // TypedResults.ValidationProblem(errors) from an endpoint is field validation: invalid input.
                problem.Type = problem is HttpValidationProblemDetails && status == StatusCodes.Status400BadRequest
                    ? ProblemTypes.InvalidInput
                    : ProblemTypes.ForStatus(status);
            }

            problem.Instance ??= context.HttpContext.Request.Path.Value;
            if (!problem.Extensions.ContainsKey("traceId"))
            {
                ProblemResponses.AddTraceId(problem, context.HttpContext);
            }
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddSingleton<RejectionLogSampler>();
        services.TryAddSingleton(TimeProvider.System);
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // The web defaults read numbers from JSON strings ("nfe_steps":"8"); a wrong JSON type is malformed JSON here.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        return services;
    }

    /// <summary>
    /// Exception handler and status code pages: every 4xx/5xx without a body (unknown route, wrong method, framework
    /// rejections) gets a problem+json body with the type of its status.
    /// </summary>
    public static WebApplication UseF5TtsProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseMiddleware<RequestGuardMiddleware>();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (http.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            var status = http.Response.StatusCode;
            var detail = status switch
            {
                StatusCodes.Status404NotFound => $"No endpoint matches {http.Request.Method} {http.Request.Path}.",
                StatusCodes.Status405MethodNotAllowed => $"{http.Request.Path} does not accept {http.Request.Method}.",
                StatusCodes.Status413PayloadTooLarge => ProblemExceptionHandler.BodyTooLargeDetail,
                StatusCodes.Status408RequestTimeout => ProblemExceptionHandler.BodyTooSlowDetail,
                _ => null,
            };
            await ProblemResponses.WriteAsync(http, ProblemResponses.Create(http, status, ProblemTypes.ForStatus(status), detail));
        });
        return app;
    }
}
