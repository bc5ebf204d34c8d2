using Serilog;
using Serilog.Events;

namespace F5Tts.Api.Extensions;

/// <summary>Structured JSON logging through Serilog.</summary>
public static class LoggingExtensions
{
    /// <summary>
    /// The one line logged per request, e.g. <c>HTTP POST /v1/tts responded 200 in 812.3 ms</c>: one decimal of a
    /// millisecond is all the precision a request log needs (strings are unquoted by <see cref="UnquotedMessageFormatter"/>).
    /// </summary>
    public const string RequestMessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";

    /// <summary>
    /// Replaces the default logging providers with Serilog writing one compact JSON object per event to stdout
    /// (rendered message included, so humans can read it too). Levels come from the <c>Serilog</c> configuration
    /// section (<c>Serilog:MinimumLevel:Default</c> and <c>:Override</c>). The logger is built per host from that
    /// host's configuration and the static <see cref="Log.Logger"/> is left alone, so several hosts in one process
    /// (integration tests) do not share or dispose each other's logger.
    /// </summary>
    public static WebApplicationBuilder AddF5TtsLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (services, logger) => logger
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                // The health check service logs every unhealthy probe at Error; the startup runner already logged the
                // cause once, and /health/ready answers 503 with it.
                .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
                .ReadFrom.Configuration(services.GetRequiredService<IConfiguration>())
                .ReadFrom.Services(services)
                .Enrich.FromLogContext()
                .WriteTo.Console(new UnquotedMessageFormatter()),
            preserveStaticLogger: true);
        return builder;
    }
}
