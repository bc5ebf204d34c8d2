using F5Tts.Api.Errors;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace F5Tts.Api.Swagger;

/// <summary>
/// Documents the error responses every operation can return, as <c>application/problem+json</c>: 500 everywhere;
/// 400 (malformed JSON / invalid input) and 413 (body too large) where the operation takes a body. Endpoint-specific
/// errors (404 voice, 422, 429…) are declared by the endpoints themselves with <c>ProducesProblem(...)</c>.
/// </summary>
internal sealed class ProblemResponsesOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        operation.Responses ??= [];
        var hasBody = context.ApiDescription.ParameterDescriptions.Any(p =>
            p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body
            || p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Form
            || p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.FormFile);
        var problemSchema = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository);

        if (hasBody)
        {
            Add(operation, problemSchema, StatusCodes.Status400BadRequest,
                $"Malformed JSON ({ProblemTypes.MalformedJson}) or invalid input ({ProblemTypes.InvalidInput}).");
            Add(operation, problemSchema, StatusCodes.Status413PayloadTooLarge,
                $"Body larger than F5Tts:Server:MaxRequestBodyBytes ({ProblemTypes.PayloadTooLarge}).");
        }

        Add(operation, problemSchema, StatusCodes.Status500InternalServerError,
            $"Unexpected fault ({ProblemTypes.InternalError}); the body carries only a traceId to find it in the log.");
    }

    private static void Add(OpenApiOperation operation, IOpenApiSchema schema, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }

        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/problem+json"] = new OpenApiMediaType { Schema = schema },
            },
        };
    }
}
