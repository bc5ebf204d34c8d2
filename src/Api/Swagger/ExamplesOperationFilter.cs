using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace F5Tts.Api.Swagger;

/// <summary>
/// Gives path parameters examples that work on a fresh server, in the order a reader tries them: the built-in
/// <c>default</c> voice to read, and for DELETE the voice that the <c>POST /v1/voices</c> example creates
/// (<see cref="ExampleVoiceId"/>): the built-in voice cannot be deleted.
/// </summary>
internal sealed class ExamplesOperationFilter : IOperationFilter
{
    /// <summary>Id of the voice the upload example creates (VoiceUploadForm's example id).</summary>
    public const string ExampleVoiceId = "swagger-example";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter concrete && concrete.Name == "id" && concrete.In == ParameterLocation.Path)
            {
                concrete.Example = context.ApiDescription.HttpMethod == HttpMethods.Delete ? ExampleVoiceId : "default";
            }
        }
    }
}
