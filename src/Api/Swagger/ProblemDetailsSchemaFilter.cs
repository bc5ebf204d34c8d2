using System.Text.Json.Nodes;
using F5Tts.Api.Errors;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace F5Tts.Api.Swagger;

/// <summary>Gives the ProblemDetails schema a realistic example (with the service's type URNs and traceId).</summary>
internal sealed class ProblemDetailsSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type != typeof(ProblemDetails) || schema is not OpenApiSchema concrete)
        {
            return;
        }

        concrete.Description = "RFC 9457 problem details. `type` is stable per cause (see README, Errors).";
        concrete.Examples = [new JsonObject
        {
            ["type"] = ProblemTypes.InvalidInput,
            ["title"] = "Bad Request",
            ["status"] = 400,
            ["detail"] = Endpoints.TtsEndpoints.TextRequired,
            ["instance"] = "/v1/tts",
            ["parameter"] = "text",
            ["traceId"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        }];
    }
}
