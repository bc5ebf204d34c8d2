using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace F5Tts.Api.Swagger;

/// <summary>
/// Declares the media types of success responses that carry no JSON schema: the audio of the speech endpoints
/// (<c>Produces(200, contentType: "audio/wav", …)</c> without a response type) would otherwise appear without any
/// content. Each declared media type gets a binary string schema (text for server-sent events).
/// </summary>
internal sealed class MediaTypesOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        // Endpoint metadata, not ApiExplorer's response types: those drop the content types of a response without a type.
        var declared = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IProducesResponseTypeMetadata>()
            .Where(m => m.StatusCode is >= 200 and < 300 && m.ContentTypes.Any());
        foreach (var metadata in declared)
        {
            var key = metadata.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses?.TryGetValue(key, out var response) != true || response is not OpenApiResponse concrete
                || concrete.Content is { Count: > 0 })
            {
                continue;
            }

            concrete.Content = metadata.ContentTypes.Distinct().ToDictionary(
                type => type,
                type => (IOpenApiMediaType)new OpenApiMediaType
                {
                    Schema = type == "text/event-stream"
                        ? new OpenApiSchema { Type = JsonSchemaType.String }
                        : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                });
        }
    }
}
