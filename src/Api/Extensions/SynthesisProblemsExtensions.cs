namespace F5Tts.Api.Extensions;

/// <summary>The problem responses the synthesis endpoints declare for the OpenAPI document.</summary>
internal static class SynthesisProblemsExtensions
{
    /// <summary>
    /// What every endpoint that synthesises can answer besides success: the request refused (400, 413, 415, 422), the
    /// service over capacity (429, 503) or the synthesis out of time (504).
    /// </summary>
    private static ReadOnlySpan<int> Statuses =>
    [
        StatusCodes.Status400BadRequest,
        StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType,
        StatusCodes.Status422UnprocessableEntity,
        StatusCodes.Status429TooManyRequests,
        StatusCodes.Status503ServiceUnavailable,
        StatusCodes.Status504GatewayTimeout,
    ];

    /// <summary>
    /// Declares the synthesis problem responses and the endpoint's own <paramref name="more"/>, in ascending order so
    /// the document lists an endpoint's responses by status whichever it adds.
    /// </summary>
    public static RouteHandlerBuilder ProducesSynthesisProblems(this RouteHandlerBuilder builder, params ReadOnlySpan<int> more)
    {
        int[] statuses = [.. Statuses, .. more];
        Array.Sort(statuses);
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }
}
