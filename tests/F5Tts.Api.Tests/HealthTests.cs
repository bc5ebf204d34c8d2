using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

public sealed class HealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_is_200_with_the_process_and_devices_checks()
    {
        await using var factory = new F5TtsApiFactory();
        using var client = factory.CreateSocketClient();

        using var response = await client.GetAsync("health/live", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        var checks = body.RootElement.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(["process", "devices"], checks);
    }

    [Fact]
    public async Task A_missing_model_directory_stops_startup_naming_it()
    {
        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = "/nonexistent/f5tts-model" });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateSocketClient());

        Assert.Contains("/nonexistent/f5tts-model", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_model_file_stops_startup_naming_the_file()
    {
        using var model = ModelDirectory.CopyOfFixture(null, "vocab.txt");
        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = model.Path });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateSocketClient());

        Assert.Contains("vocab.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_is_200_once_the_model_is_loaded_and_warmed_up()
    {
        await using var factory = new F5TtsApiFactory();
        using var client = factory.CreateSocketClient();

        var (status, body) = await WaitForSettledReadinessAsync(client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var tasks = Check(body, "startup").GetProperty("data");
        Assert.Equal("Completed", tasks.GetProperty("model-directory").GetString());
        Assert.Equal("Completed", tasks.GetProperty("text-frontend").GetString());
        Assert.Equal("Completed", tasks.GetProperty("engine").GetString());
        Assert.Equal("Healthy", Check(body, "shutdown").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Relative_model_directory_resolves_against_the_content_root()
    {
        // The content root of the test host is the repository root; a relative path below it must be found there.
        using var model = ModelDirectory.CopyOfFixture(parent: Path.Combine(RepoPaths.Root, "tests", "F5Tts.Api.Tests", "obj"));
        var relative = Path.GetRelativePath(RepoPaths.Root, model.Path);
        Assert.False(Path.IsPathRooted(relative));

        await using var factory = new F5TtsApiFactory(new() { ["F5Tts:Model:Directory"] = relative });
        using var client = factory.CreateSocketClient();

        var (status, _) = await WaitForSettledReadinessAsync(client);
        Assert.Equal(HttpStatusCode.OK, status);
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
            var states = Check(body, "startup").GetProperty("data").EnumerateObject().Select(p => p.Value.GetString()).ToList();
            if (states.All(state => state is "Completed" or "Failed") || DateTime.UtcNow > deadline)
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(100, Ct);
        }
    }
}
