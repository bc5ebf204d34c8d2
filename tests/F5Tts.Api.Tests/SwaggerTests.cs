using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

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
}
