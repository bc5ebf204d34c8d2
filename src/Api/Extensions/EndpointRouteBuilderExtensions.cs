using F5Tts.Api.Endpoints;

namespace F5Tts.Api.Extensions;

/// <summary>Maps every endpoint of the service: one <c>Map&lt;Resource&gt;Endpoints()</c> line per resource class in Endpoints/.</summary>
public static class EndpointRouteBuilderExtensions
{
    /// <summary>Maps all resources, the Prometheus scrape endpoint and (via the pipeline) Swagger.</summary>
    public static WebApplication MapF5TtsEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthEndpoints();
        app.MapTokenizeEndpoints();
        app.MapVoicesEndpoints();
        app.MapTtsEndpoints();
        app.MapTtsWebSocketEndpoints();
        app.MapSpeechEndpoints();
        app.MapModelsEndpoints();
        app.MapDubEndpoints();
        // A scrape is a read: other methods get 405 instead of the exporter's page.
        app.MapPrometheusScrapingEndpoint(TelemetryExtensions.MetricsPath)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));

        // Create the instruments now so gauges such as f5tts_queue_depth are scraped from the first request on.
        _ = app.Services.GetRequiredService<F5Tts.Inference.Metrics.F5TtsMetrics>();
        return app;
    }
}
