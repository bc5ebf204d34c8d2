using F5Tts.Api.Swagger;
using Microsoft.OpenApi;

namespace F5Tts.Api.Extensions;

/// <summary>OpenAPI document (Swashbuckle) and Swagger UI.</summary>
public static class SwaggerExtensions
{
    /// <summary>Path of the generated OpenAPI document.</summary>
    public const string DocumentPath = "/swagger/v1/swagger.json";

    /// <summary>Registers the OpenAPI generator with the XML docs of the Api and Inference assemblies.</summary>
    public static IServiceCollection AddF5TtsSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "F5Tts.Server",
                Version = "v1",
                Description = "Text + short reference voice → speech with the F5-TTS flow-matching model. "
                    + "Errors are RFC 9457 problem details (application/problem+json) with a stable `type` per cause. "
                    + "Prometheus metrics are at /metrics (not part of this document).",
            });
            // XML docs of handlers (summaries, <response> codes) and of DTOs (<example> values become schema examples).
            options.IncludeXmlComments(() => InheritedXmlComments.Load(typeof(SwaggerExtensions).Assembly), includeControllerXmlComments: false);
            options.IncludeXmlComments(() => InheritedXmlComments.Load(typeof(F5Tts.Inference.Errors.TtsException).Assembly),
                includeControllerXmlComments: false);
            options.SupportNonNullableReferenceTypes();
            options.SchemaFilter<ProblemDetailsSchemaFilter>();
            options.SchemaFilter<RequestSchemaFilter>();
            options.SchemaFilter<DubSchemaFilter>();
            options.OperationFilter<ExamplesOperationFilter>();
            options.OperationFilter<MediaTypesOperationFilter>();
            options.OperationFilter<ProblemResponsesOperationFilter>();
            options.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "API key, required on /v1/* when F5Tts:Auth:ApiKeys is set (also accepted as X-Api-Key).",
            });
        });
        return services;
    }

    /// <summary>Serves the document and the UI at <c>/swagger</c>.</summary>
    public static WebApplication UseF5TtsSwagger(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint(DocumentPath, "F5Tts.Server v1");
            options.DocumentTitle = "F5Tts.Server API";
            options.DisplayRequestDuration();
        });
        return app;
    }
}
