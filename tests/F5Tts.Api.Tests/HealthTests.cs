using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

public sealed class HealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_is_200_even_when_the_model_directory_is_missing()
    {
        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = "/nonexistent/f5tts-model" });
        using var client = factory.CreateSocketClient();

        using var response = await client.GetAsync("health/live", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("process", body.RootElement.GetProperty("checks")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Ready_is_503_with_the_reason_when_the_model_directory_is_missing()
    {
        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = "/nonexistent/f5tts-model" });
        using var client = factory.CreateSocketClient();

        var (status, body) = await WaitForSettledReadinessAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var startup = Check(body, "startup");
        Assert.Equal("Unhealthy", startup.GetProperty("status").GetString());
        Assert.Contains("F5Tts:Model:Directory", startup.GetProperty("description").GetString());
        Assert.Contains("/nonexistent/f5tts-model", startup.GetProperty("description").GetString());
        Assert.Equal("Failed", startup.GetProperty("data").GetProperty("model-directory").GetString());
    }

    [Fact]
    public async Task Ready_is_503_when_a_required_model_file_is_missing()
    {
        using var model = new ModelDirectory(omit: "vocab.txt");
        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = model.Path });
        using var client = factory.CreateSocketClient();

        var (status, body) = await WaitForSettledReadinessAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("vocab.txt", Check(body, "startup").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Ready_is_200_once_the_startup_tasks_completed()
    {
        using var model = new ModelDirectory();
        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = model.Path });
        using var client = factory.CreateSocketClient();

        var (status, body) = await WaitForSettledReadinessAsync(client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("Completed", Check(body, "startup").GetProperty("data").GetProperty("model-directory").GetString());
        Assert.Equal("Healthy", Check(body, "shutdown").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Relative_model_directory_resolves_against_the_content_root()
    {
        // The content root of the test host is the repository root; a relative path below it must be found there.
        var relative = Path.Combine("tests", "F5Tts.Api.Tests", "obj", "model-" + Guid.NewGuid().ToString("N"));
        var absolute = Path.Combine(RepoPaths.Root, relative);
        Directory.CreateDirectory(absolute);
        try
        {
            foreach (var file in F5Tts.Inference.Options.ModelOptions.RequiredFiles)
            {
                await File.WriteAllTextAsync(Path.Combine(absolute, file), "placeholder", Ct);
            }

            await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = relative });
            using var client = factory.CreateSocketClient();

            var (status, _) = await WaitForSettledReadinessAsync(client);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            Directory.Delete(absolute, recursive: true);
        }
    }

    private static JsonElement Check(JsonElement body, string name) =>
        body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>
    /// Startup tasks run in the background after the host starts; poll until the startup check reports a final
    /// state (completed or failed), at most 20 s, then return that answer.
    /// </summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body)> WaitForSettledReadinessAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await client.GetAsync("health/ready", Ct);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
            var state = Check(body, "startup").GetProperty("data").GetProperty("model-directory").GetString();
            if (state is "Completed" or "Failed" || DateTime.UtcNow > deadline)
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(100, Ct);
        }
    }
}
