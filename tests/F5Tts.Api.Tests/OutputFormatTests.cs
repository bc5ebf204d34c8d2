using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using F5Tts.Api.Synthesis;
using F5Tts.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// A machine without libmp3lame: the service still starts, <c>/v1/models</c> says which formats exist and why mp3 does
/// not, a request for mp3 gets the documented 400 naming the library and the formats that work, and that 400 is counted
/// in <c>f5tts_requests_total</c> like every other error. (libmp3lame0 is installed where the tests run, so the
/// format catalogue is replaced by one that reports it missing.)
/// </summary>
public sealed class OutputFormatTests(OutputFormatTests.WithoutMp3 host) : IClassFixture<OutputFormatTests.WithoutMp3>
{
    public sealed class WithoutMp3 : F5TtsApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton(new OutputFormats(mp3Available: false)));
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("v1/audio/speech", "response_format")]
    [InlineData("v1/tts", "format")]
    public async Task An_unavailable_format_is_a_documented_400_naming_the_library_and_is_counted(string path, string field)
    {
        using var client = host.CreateSocketClient();
        var body = new Dictionary<string, object> { ["model"] = "tts-1", ["input"] = "Hi", ["text"] = "Hi", [field] = "mp3" };
        var before = await CountAsync(client);

        using var response = await client.PostAsJsonAsync(path, body, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("urn:f5tts:problem:format-unavailable", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(field, problem.RootElement.GetProperty("parameter").GetString());
        Assert.Equal(
            "mp3 output needs libmp3lame.so.0, which is not installed on this server (Debian package libmp3lame0). Available formats: wav, pcm, opus.",
            problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(before + 1, await CountAsync(client));
    }

    [Fact]
    public async Task Models_list_every_format_with_its_availability_and_flag_the_random_weight_demo()
    {
        using var client = host.CreateSocketClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("v1/models", Ct));
        var model = doc.RootElement.GetProperty("data")[0];

        Assert.Equal(["wav", "pcm", "opus"], model.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        var formats = model.GetProperty("output_formats").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.True(formats["wav"].GetProperty("available").GetBoolean());
        Assert.Equal("audio/wav", formats["wav"].GetProperty("content_type").GetString());
        Assert.False(formats["mp3"].GetProperty("available").GetBoolean());
        Assert.Contains("libmp3lame0", formats["mp3"].GetProperty("reason").GetString(), StringComparison.Ordinal);

        // The bundled model directory carries the RANDOM_WEIGHTS marker.
        Assert.True(model.GetProperty("random_weights").GetBoolean());
        Assert.Contains("noise", model.GetProperty("note").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The f5tts_requests_total sample of this cause (0 before the first).</summary>
    private static async Task<double> CountAsync(HttpClient client)
    {
        var metrics = await client.GetStringAsync("metrics", Ct);
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("f5tts_requests_total{", StringComparison.Ordinal)
            && l.Contains("reason=\"format-unavailable\"", StringComparison.Ordinal) && l.Contains("outcome=\"client_error\"", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
