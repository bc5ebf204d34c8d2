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
        app.UseSerilogRequestLogging(options =>
        {
            // The host's own logger (registered by AddF5TtsLogging); the static Log.Logger is not used.
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.GetLevel = RequestLogLevel;
            options.MessageTemplate = LoggingExtensions.RequestMessageTemplate;
        });
        app.UseF5TtsRequestCounting();
        app.UseF5TtsProblemDetails();
        app.UseF5TtsAuth();
        app.UseF5TtsSwagger();
        return app;
    }

    /// <summary>Probes, scrapes and Swagger assets are frequent and boring: Verbose (hidden by default). Exceptions stay visible.</summary>
    internal static LogEventLevel RequestLogLevel(HttpContext context, double elapsedMs, Exception? exception)
    {
        var status = context.Response.StatusCode;
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
