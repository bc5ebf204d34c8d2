using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Tests;

public sealed class SwaggerTests(SwaggerTests.Host host) : IClassFixture<SwaggerTests.Host>
{
    public sealed class Host : F5TtsApiFactory;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenApi_document_describes_the_operations_with_xml_docs_and_problem_responses()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync("swagger/v1/swagger.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = document.RootElement;

        Assert.Equal("F5Tts.Server", root.GetProperty("info").GetProperty("title").GetString());
        var ready = root.GetProperty("paths").GetProperty("/health/ready").GetProperty("get");
        // From the handler's XML <summary>, <remarks> and <response> tags.
        Assert.Equal("Readiness probe: 200 once models are loaded and warmed up, else 503.", ready.GetProperty("summary").GetString());
        Assert.Contains("startup task", ready.GetProperty("description").GetString());
        Assert.Equal("Still starting, a startup task failed, or shutting down.",
            ready.GetProperty("responses").GetProperty("503").GetProperty("description").GetString());
        Assert.True(ready.GetProperty("responses").GetProperty("500").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(root.GetProperty("paths").TryGetProperty("/health/live", out _));

        var schemas = root.GetProperty("components").GetProperty("schemas");
        var problemExample = schemas.GetProperty("ProblemDetails").GetProperty("example");
        Assert.Equal("urn:f5tts:problem:invalid-input", problemExample.GetProperty("type").GetString());
        // DTO <example> tags become schema examples.
        Assert.Equal("startup", schemas.GetProperty("HealthCheckEntry").GetProperty("properties").GetProperty("name").GetProperty("example").GetString());
        Assert.Equal("Healthy", schemas.GetProperty("HealthResponse").GetProperty("properties").GetProperty("status").GetProperty("example").GetString());
    }

    [Theory]
    [InlineData("/v1/tts")]
    [InlineData("/v1/audio/speech")]
    [InlineData("/v1/dub")]
    public async Task A_body_that_is_not_json_gets_the_415_the_document_declares(string path)
    {
        using var client = host.CreateSocketClient();
        using var content = new StringContent("hello", System.Text.Encoding.UTF8, "text/plain");
        using var response = await client.PostAsync(path.TrimStart('/'), content, Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        using var document = JsonDocument.Parse(await client.GetStringAsync("swagger/v1/swagger.json", Ct));
        var responses = document.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("responses");
        Assert.True(responses.TryGetProperty("415", out _), $"{path} answers 415 but its OpenAPI operation does not declare it");
    }

    [Fact]
    public async Task Descriptions_taken_with_inheritdoc_reach_the_document()
    {
        using var client = host.CreateSocketClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("swagger/v1/swagger.json", Ct));
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        string? Description(string schema, string property) =>
            schemas.GetProperty(schema).GetProperty("properties").GetProperty(property).GetProperty("description").GetString();

        // DubRequestDto documents these with <inheritdoc cref="..."/>, which Swashbuckle alone would leave undescribed.
        foreach (var property in new[] { "cfg_strength", "sway", "normalize" })
        {
            Assert.False(string.IsNullOrWhiteSpace(Description("DubRequestDto", property)), property);
            Assert.Equal(Description("TtsRequestDto", property), Description("DubRequestDto", property));
        }
    }

    [Fact]
    public async Task Swagger_UI_renders_the_operations_in_headless_chromium()
    {
        var chromium = ExternalTool.Require("chromium", "chromium");
        var profile = Directory.CreateTempSubdirectory("f5tts-chromium-");
        try
        {
            var url = new Uri(host.BaseAddress, "swagger/index.html").ToString();
            var result = await ExternalTool.RunAsync(chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={profile.FullName}", "--virtual-time-budget=10000", "--dump-dom", url,
            ], stdin: null, TimeSpan.FromSeconds(120), Ct);

            Assert.True(result.ExitCode == 0, $"chromium failed ({result.ExitCode}): {result.StdErr}");
            var dom = result.StdOut;
            // Rendered by swagger-ui's JavaScript from the OpenAPI document, not present in index.html itself.
            Assert.Contains("opblock-summary-path", dom);
            Assert.Contains("data-path=\"/health/ready\"", dom);
            Assert.Contains("data-path=\"/health/live\"", dom);
            Assert.Contains("F5Tts.Server", dom);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Try_it_out_and_Execute_on_POST_v1_tts_in_headless_chromium_answers_200_with_audio()
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        var result = await NodeScripts.RunChromiumScriptAsync("swagger-ui.test.mjs", host.BaseAddress, new Dictionary<string, string>(), Ct);

        Assert.True(result.ExitCode == 0, $"node --test failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.Contains("pass 1", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documented_ranges_are_the_validators_and_success_responses_declare_their_media_types()
    {
        using var client = host.CreateSocketClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("swagger/v1/swagger.json", Ct));
        var root = document.RootElement;
        var limits = host.Services.GetRequiredService<IOptions<SynthesisOptions>>().Value;
        var tts = root.GetProperty("components").GetProperty("schemas").GetProperty("TtsRequestDto").GetProperty("properties");

        Assert.Equal(1, tts.GetProperty("nfe_steps").GetProperty("minimum").GetDouble());
        Assert.Equal(limits.MaxNfeSteps, tts.GetProperty("nfe_steps").GetProperty("maximum").GetDouble());
        Assert.Equal(limits.MaxCfgStrength, tts.GetProperty("cfg_strength").GetProperty("maximum").GetDouble());
        Assert.Equal(limits.MinSpeed, tts.GetProperty("speed").GetProperty("minimum").GetDouble(), 1e-6);
        Assert.Equal(limits.MaxSpeed, tts.GetProperty("speed").GetProperty("maximum").GetDouble(), 1e-6);

        // What the validator answers just past the documented maximum names that maximum.
        using var response = await client.PostAsJsonAsync("v1/tts", new { text = "Hi", nfe_steps = limits.MaxNfeSteps + 1 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"{limits.MaxNfeSteps}", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var paths = root.GetProperty("paths");
        Assert.Equal(["audio/wav", "audio/ogg", "audio/pcm", "audio/mpeg"], SuccessTypes(paths, "/v1/tts", "post"));
        Assert.Equal(["audio/mpeg", "audio/wav", "audio/ogg", "audio/pcm", "text/event-stream"], SuccessTypes(paths, "/v1/audio/speech", "post"));
        Assert.Equal(["application/json"], SuccessTypes(paths, "/v1/models", "get"));
    }

    private static List<string> SuccessTypes(JsonElement paths, string path, string method) =>
        [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty("200").GetProperty("content")
            .EnumerateObject().Select(p => p.Name)];
}
