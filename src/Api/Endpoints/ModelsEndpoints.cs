using System.Text.Json.Serialization;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Options;
using F5Tts.Inference.Synthesis;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Endpoints;

/// <summary><c>GET /v1/models</c>: the loaded model in OpenAI's list shape, with what is really in use.</summary>
internal static class ModelsEndpoints
{
    /// <summary>Model id clients may send (any id selects the loaded model).</summary>
    public const string ModelId = "f5-tts";

    /// <summary>
    /// A file of this name in the model directory marks a model with random weights (the bundled test fixtures):
    /// <c>/v1/models</c> then says it is the demo model and produces noise. Real exports do not have it.
    /// </summary>
    public const string RandomWeightsMarker = "RANDOM_WEIGHTS";

    private const string RandomWeightsNote =
        "Demo model with random weights (the bundled test fixture): it produces noise, not speech. "
        + "Export a real checkpoint with tools/export (docs/export.md) and set F5Tts:Model:Directory.";

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapModelsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/v1/models", ListModels)
            .WithName("ListModels")
            .WithTags("Models")
            .WithSummary("Loaded model, contract, precision, providers per stage and limits")
            .Produces<ModelList>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    /// <summary>
    /// Describes the loaded model: name, export contract (<c>f5tts-batched/1</c> or <c>dakeqq</c>), precision, the
    /// execution provider actually used by each stage (after fallbacks), batching and length limits, sampler
    /// defaults and the audio formats this server can produce. 503 until the model is loaded.
    /// </summary>
    /// <param name="tts">The synthesis service.</param>
    /// <param name="synthesis">Sampler defaults.</param>
    /// <param name="modelOptions">The model directory.</param>
    /// <param name="formats">The response formats of this machine.</param>
    internal static IResult ListModels(
        TtsService tts, IOptions<SynthesisOptions> synthesis,
        IOptions<ModelOptions> modelOptions, OutputFormats formats)
    {
        var d = tts.LoadedModel;
        var s = synthesis.Value;
        var randomWeights = File.Exists(Path.Combine(modelOptions.Value.Directory, RandomWeightsMarker));
        var model = new ModelInfo
        {
            Id = ModelId,
            Name = d.Model,
            Contract = d.Contract,
            Precision = d.Precision,
            Ready = tts.IsReady,
            SampleRate = d.SampleRate,
            Providers = d.ProvidersByStage,
            MaxFrames = d.MaxFrames,
            MaxBatchSize = tts.BatchLimit,
            FixedNfeSteps = d.FixedNfeSteps,
            DefaultNfeSteps = d.FixedNfeSteps ?? s.DefaultNfeSteps,
            MaxNfeSteps = d.FixedNfeSteps ?? s.MaxNfeSteps,
            Formats = formats.Available,
            OutputFormats = formats.All.Select(f => new OutputFormatInfo(
                f.Name, f.ContentType, f.Available, f.Available ? null : formats.UnavailableDetail(f))).ToList(),
            RandomWeights = randomWeights,
            Note = randomWeights ? RandomWeightsNote : null,
        };

        return TypedResults.Ok(new ModelList { Data = [model] });
    }
}

/// <summary>OpenAI list envelope.</summary>
public sealed class ModelList
{
    /// <summary>Always <c>list</c>.</summary>
    [JsonPropertyName("object")]
    public string ObjectType { get; init; } = "list";

    /// <summary>The models (one: the loaded one).</summary>
    [JsonPropertyName("data")]
    public required IReadOnlyList<ModelInfo> Data { get; init; }
}

/// <summary>The loaded model.</summary>
public sealed class ModelInfo
{
    /// <summary>Id to send as <c>model</c>.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Always <c>model</c>.</summary>
    [JsonPropertyName("object")]
    public string ObjectType { get; init; } = "model";

    /// <summary>Owner, as OpenAI clients expect a value.</summary>
    [JsonPropertyName("owned_by")]
    public string OwnedBy { get; init; } = "f5tts-server";

    /// <summary>Architecture from the export metadata, e.g. <c>F5TTS_v1_Base</c>.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary><c>f5tts-batched/1</c> or <c>dakeqq</c>.</summary>
    [JsonPropertyName("contract")]
    public required string Contract { get; init; }

    /// <summary><c>fp32</c> or <c>fp16</c>.</summary>
    [JsonPropertyName("precision")]
    public required string Precision { get; init; }

    /// <summary>True once warm-up finished.</summary>
    [JsonPropertyName("ready")]
    public bool Ready { get; init; }

    /// <summary>Output sample rate of the model.</summary>
    [JsonPropertyName("sample_rate")]
    public int SampleRate { get; init; }

    /// <summary>Execution provider in use per stage (preprocess, transformer, decode).</summary>
    [JsonPropertyName("providers")]
    public required IReadOnlyDictionary<string, string> Providers { get; init; }

    /// <summary>Most mel frames per utterance (reference + generated).</summary>
    [JsonPropertyName("max_frames")]
    public int MaxFrames { get; init; }

    /// <summary>Most requests per Transformer call (the size picked at start with F5Tts:Batching:LatencyBudgetMilliseconds).</summary>
    [JsonPropertyName("max_batch_size")]
    public int MaxBatchSize { get; init; }

    /// <summary>Steps baked into the graph (dakeqq exports), else null.</summary>
    [JsonPropertyName("fixed_nfe_steps")]
    public int? FixedNfeSteps { get; init; }

    /// <summary>Steps used when a request names none.</summary>
    [JsonPropertyName("default_nfe_steps")]
    public int DefaultNfeSteps { get; init; }

    /// <summary>Largest <c>nfe_steps</c> accepted.</summary>
    [JsonPropertyName("max_nfe_steps")]
    public int MaxNfeSteps { get; init; }

    /// <summary>Response formats available on this server.</summary>
    [JsonPropertyName("formats")]
    public required IReadOnlyList<string> Formats { get; init; }

    /// <summary>Every response format with its media type and availability (why not, when unavailable).</summary>
    [JsonPropertyName("output_formats")]
    public required IReadOnlyList<OutputFormatInfo> OutputFormats { get; init; }

    /// <summary>True for a model with random weights (the bundled demo): it produces noise, not speech.</summary>
    [JsonPropertyName("random_weights")]
    public bool RandomWeights { get; init; }

    /// <summary>What a user should know about this model (set for the random-weight demo).</summary>
    [JsonPropertyName("note")]
    public string? Note { get; init; }
}

/// <summary>One response format.</summary>
/// <param name="Name">Name to send as <c>format</c> / <c>response_format</c>.</param>
/// <param name="ContentType">Media type of the response.</param>
/// <param name="Available">Whether this server produces it.</param>
/// <param name="Reason">Why not, naming the missing library and its package; null when available.</param>
public sealed record OutputFormatInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("content_type")] string ContentType,
    [property: JsonPropertyName("available")] bool Available,
    [property: JsonPropertyName("reason")] string? Reason);
