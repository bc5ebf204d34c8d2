using F5Tts.Inference.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace F5Tts.Api.Extensions;

/// <summary>Metrics: ASP.NET Core/Kestrel meters and the service's own meter, exported for Prometheus at /metrics.</summary>
public static class TelemetryExtensions
{
    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Registers <see cref="F5TtsMetrics"/> and the OpenTelemetry meter provider with the Prometheus exporter.</summary>
    public static IServiceCollection AddF5TtsTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<F5TtsMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("f5tts-server"))
            .WithMetrics(metrics =>
        {
            metrics
                // Microsoft.AspNetCore.Hosting (http.server.request.duration, active requests) and Kestrel meters.
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics")
                .AddMeter(F5TtsMetrics.MeterName)
                // The framework default tops out at 10 s; a synthesis request can legitimately take longer.
                .AddView("http.server.request.duration",
                    new ExplicitBucketHistogramConfiguration { Boundaries = [.. F5TtsMetrics.LatencyBuckets] })
                // Explicit buckets for the service's histograms (also given as instrument advice, for other exporters).
                .AddView(instrument => instrument.Meter.Name == F5TtsMetrics.MeterName
                        && F5TtsMetrics.BucketsFor(instrument.Name) is { } buckets
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = [.. buckets] }
                    : null)
                .AddPrometheusExporter(options =>
                {
                    // Prometheus scrapes every few seconds; a cached response would only confuse tests and humans.
                    options.ScrapeResponseCacheDurationMilliseconds = 0;
                });
        });
        return services;
    }
}
