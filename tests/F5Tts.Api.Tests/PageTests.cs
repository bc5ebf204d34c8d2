using System.Net;
using F5Tts.Api.Extensions;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The browser page at <c>/</c>: served files and headers over HTTP, and the page itself driven in headless Chromium
/// by tests/node/page.test.mjs (puppeteer-core, fake microphone) against this real service.
/// </summary>
public sealed class PageTests(PageTests.Host host) : IClassFixture<PageTests.Host>
{
    public sealed class Host : F5TtsApiFactory;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where the screenshots stay after the run: the test project's output folder.</summary>
    internal static string ArtifactsFolder => Path.Combine(AppContext.BaseDirectory, "artifacts", "page");

    [Theory]
    [InlineData("", "text/html")]
    [InlineData("index.html", "text/html")]
    [InlineData("page.js", "text/javascript")]
    [InlineData("audio.js", "text/javascript")]
    [InlineData("recorder-worklet.js", "text/javascript")]
    [InlineData("page.css", "text/css")]
    public async Task Page_files_are_served_with_a_same_origin_content_security_policy(string path, string mediaType)
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(PageExtensions.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(response.Headers.ETag is not null, "an ETag, so a reload revalidates cheaply");
        var body = await response.Content.ReadAsStringAsync(Ct);
        // Offline: nothing is loaded from another origin.
        Assert.DoesNotContain("https://", body, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_leaves_the_other_routes_as_they_were()
    {
        using var client = host.CreateSocketClient();
        using var swagger = await client.GetAsync("swagger/index.html", Ct);
        using var document = await client.GetAsync(SwaggerExtensions.DocumentPath.TrimStart('/'), Ct);
        using var metrics = await client.GetAsync("metrics", Ct);
        using var live = await client.GetAsync("health/live", Ct);
        using var unknown = await client.GetAsync("no-such-page.html", Ct);
        using var post = await client.PostAsync("", new StringContent("x"), Ct);

        Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        // The static files answer GET and HEAD only; a POST to / is no endpoint.
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task The_page_works_in_headless_chromium()
    {
        var result = await RunPageScriptAsync(host, apiKey: null);

        Assert.True(result.ExitCode == 0, $"node --test failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.Contains("pass 7", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("fail 0", result.StdOut, StringComparison.Ordinal);
        var screenshot = Path.Combine(ArtifactsFolder, "page.png");
        Assert.True(new FileInfo(screenshot).Length > 10_000, $"{screenshot} is the screenshot of the result");
        TestContext.Current.AddAttachment("page.png", await File.ReadAllBytesAsync(screenshot, Ct), "image/png");
    }

    /// <summary>Runs tests/node/page.test.mjs against <paramref name="service"/>.</summary>
    internal static async Task<ExternalTool.Result> RunPageScriptAsync(F5TtsApiFactory service, string? apiKey)
    {
        var ffmpeg = ExternalTool.Require("ffmpeg");
        using var client = service.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct); // /health/ready needs no key
        Directory.CreateDirectory(ArtifactsFolder);
        var voice = Path.Combine(RepoPaths.Root, "voices", "default");
        var environment = new Dictionary<string, string>
        {
            ["FFMPEG"] = ffmpeg,
            ["ARTIFACTS"] = ArtifactsFolder,
            ["VOICE_WAV"] = Path.Combine(voice, "reference.wav"),
            ["VOICE_TRANSCRIPT"] = (await File.ReadAllTextAsync(Path.Combine(voice, "transcript.txt"), Ct)).Trim(),
        };
        if (apiKey is not null)
        {
            environment["API_KEY"] = apiKey;
        }

        return await NodeScripts.RunChromiumScriptAsync("page.test.mjs", service.BaseAddress, environment, Ct);
    }
}

/// <summary>The page on a service that requires an API key: the key field appears and unlocks the API.</summary>
public sealed class PageApiKeyTests(PageApiKeyTests.Host host) : IClassFixture<PageApiKeyTests.Host>
{
    private const string Key = "page-test-key-0123456789";

    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Auth:ApiKeys:0"] = Key });

    [Fact]
    public async Task The_api_key_field_unlocks_the_api_in_headless_chromium()
    {
        var result = await PageTests.RunPageScriptAsync(host, Key);

        Assert.True(result.ExitCode == 0, $"node --test failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.Contains("pass 1", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("fail 0", result.StdOut, StringComparison.Ordinal);
    }
}

/// <summary><c>F5Tts:Server:Page=false</c>: no page, the API as before.</summary>
public sealed class PageOffTests(PageOffTests.Host host) : IClassFixture<PageOffTests.Host>
{
    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Server:Page"] = "false" });

    [Fact]
    public async Task Without_the_page_slash_is_a_404_problem_and_swagger_stays()
    {
        using var client = host.CreateSocketClient();
        using var root = await client.GetAsync("", TestContext.Current.CancellationToken);
        using var script = await client.GetAsync("page.js", TestContext.Current.CancellationToken);
        using var swagger = await client.GetAsync("swagger/index.html", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
        Assert.Equal("application/problem+json", root.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, script.StatusCode);
        Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);
    }
}
