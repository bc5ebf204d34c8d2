using F5Tts.Api.Contracts;
using F5Tts.Inference.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace F5Tts.Api.Endpoints;

/// <summary><c>POST /v1/tokenize</c>: the front-end's output, for pronunciation debugging.</summary>
internal static class TokenizeEndpoints
{
    /// <summary>Maps the tokenize endpoint.</summary>
    public static IEndpointRouteBuilder MapTokenizeEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/tokenize", Tokenize)
            .WithName("Tokenize")
            .WithTags("Text")
            .WithSummary("Tokens and ids the model will see for a text")
            .Produces<TokenizeResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return endpoints;
    }

    /// <summary>
    /// Converts text (and optionally the reference transcript it is joined to) into the model's tokens and vocabulary
    /// ids: jieba segmentation, pypinyin readings with tone sandhi, inline overrides (<c>行&lt;hang2&gt;</c>), optional
    /// number/date/currency normalisation. Errors: 400 empty text or bad override, 413 over the configured maximum,
    /// 422 nothing speakable.
    /// </summary>
    /// <param name="request">Text, optional reference text, optional normalisation switch.</param>
    /// <param name="frontEnd">The text front-end.</param>
    internal static Ok<TokenizeResponse> Tokenize(TokenizeRequest request, ITextFrontEnd frontEnd)
    {
        // TextInputException is a TtsException: the service-wide handler answers with ProblemDetails.
        var result = frontEnd.Tokenize(request.Text ?? string.Empty, request.ReferenceText, request.Normalize);
        return TypedResults.Ok(new TokenizeResponse
        {
            Tokens = result.Tokens,
            Ids = result.Ids,
            Count = result.Count,
            Text = result.Text,
        });
    }
}
