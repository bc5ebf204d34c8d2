using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace F5Tts.Api.Errors;

/// <summary>
/// Builds and writes ProblemDetails the same way on every path (exception handler, status code pages, endpoints).
/// Always writes <c>application/problem+json</c>, whatever the Accept header says: an audio client that asked for
/// <c>audio/wav</c> must still be able to read why it got none.
/// </summary>
public static class ProblemResponses
{
    /// <summary>Creates a ProblemDetails with type, title, status, detail, instance and traceId set.</summary>
    public static ProblemDetails Create(HttpContext httpContext, int status, string type, string? detail = null, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = new ProblemDetails
        {
            Type = type,
            Status = status,
            Title = title ?? ReasonPhrase(status),
            Detail = detail,
            Instance = httpContext.Request.Path.HasValue ? httpContext.Request.Path.Value : null,
        };
        AddTraceId(problem, httpContext);
        return problem;
    }

    /// <summary>Adds the <c>traceId</c> extension (W3C trace id of the request's activity, else the connection trace id).</summary>
    public static void AddTraceId(ProblemDetails problem, HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(httpContext);
        problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
    }

    /// <summary>Writes <paramref name="problem"/> as the response (status and content type included).</summary>
    public static Task WriteAsync(HttpContext httpContext, ProblemDetails problem)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(problem);
        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        // TypedResults.Problem goes through IProblemDetailsService (customizer) and falls back to writing JSON itself
        // when the Accept header rules the service's writer out.
        return TypedResults.Problem(problem).ExecuteAsync(httpContext);
    }

    /// <summary>Title for a status: the standard reason phrase.</summary>
    public static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
