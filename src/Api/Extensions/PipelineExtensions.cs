using F5Tts.Api.Errors;
using Serilog;
using Serilog.Events;

namespace F5Tts.Api.Extensions;

/// <summary>The HTTP middleware pipeline, in one place so its order is visible.</summary>
public static class PipelineExtensions
{
    /// <summary>
    /// Request logging outermost (it then logs the final status a client saw, e.g. 400 from a mapped exception, not
    /// the exception itself), then ProblemDetails (exception handler + status code pages), auth, Swagger.
    /// </summary>
    public static WebApplication UseF5TtsPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var sampler = app.Services.GetRequiredService<RejectionLogSampler>();
        app.UseSerilogRequestLogging(options =>
        {
            // The host's own logger (registered by AddF5TtsLogging); the static Log.Logger is not used.
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.GetLevel = (context, elapsedMs, exception) => SampleRejections(
                sampler, context, RequestLogLevel(context, elapsedMs, exception));
            options.MessageTemplate = LoggingExtensions.RequestMessageTemplate;
            options.GetMessageTemplateProperties = (context, path, elapsedMs, status) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)),
                new LogEventProperty("RequestPath", new ScalarValue(path)),
                new LogEventProperty("StatusCode", new ScalarValue(LoggedStatus(context, status))),
                new LogEventProperty("Elapsed", new ScalarValue(elapsedMs)),
            ];
        });
        app.UseF5TtsRequestCounting();
        app.UseF5TtsProblemDetails();
        app.UseWebSockets(); // before auth: the real-time route's upgrade may carry its key in the first message
        app.UseF5TtsAuth();
        app.UseF5TtsSwagger();
        app.UseF5TtsPage();
        return app;
    }

    /// <summary>
    /// The status to log: 499 for a client that went away before the response was complete — also after a streamed
    /// response started with 200, which is what the client was sent but not what happened.
    /// </summary>
    internal static int LoggedStatus(HttpContext context, int status) =>
        context.RequestAborted.IsCancellationRequested ? StatusCodes.Status499ClientClosedRequest : status;

    /// <summary>Load shedding (429, 503) floods the log under overload: one request line per status and second.</summary>
    internal static LogEventLevel SampleRejections(RejectionLogSampler sampler, HttpContext context, LogEventLevel level)
    {
        var status = context.Response.StatusCode;
        if (level == LogEventLevel.Verbose
            || status is not (StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable))
        {
            return level;
        }

        return sampler.ShouldLog($"request-{status}", out _) ? level : LogEventLevel.Verbose;
    }

    /// <summary>Probes, scrapes and Swagger assets are frequent and boring: Verbose (hidden by default). Exceptions stay visible.</summary>
    internal static LogEventLevel RequestLogLevel(HttpContext context, double elapsedMs, Exception? exception)
    {
        var status = LoggedStatus(context, context.Response.StatusCode);
        if (exception is not null)
        {
            return LogEventLevel.Error;
        }

        // A 503 from /health/ready while loading is the expected answer, not an error.
        var path = context.Request.Path;
        if (path.StartsWithSegments(TelemetryExtensions.MetricsPath, StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/swagger", StringComparison.OrdinalIgnoreCase))
        {
            return LogEventLevel.Verbose;
        }

        if (status >= StatusCodes.Status500InternalServerError)
        {
            return LogEventLevel.Error;
        }

        return status >= StatusCodes.Status400BadRequest ? LogEventLevel.Warning : LogEventLevel.Information;
    }
}
