using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>The log lines the README documents, read from the stdout of the real service process.</summary>
public sealed partial class LogFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_model_worker_provider_and_format_lines_read_as_documented()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["F5Tts__Voices__Directory"] = Path.Combine(Path.GetTempPath(), $"f5tts-voices-{Guid.NewGuid():N}"),
        });
        await service.WaitUntilReadyAsync(Ct);
        using var client = new HttpClient { BaseAddress = service.BaseAddress };

        using (var response = await client.PostAsJsonAsync("v1/tts", new { text = "Hello.", nfe_steps = 4 }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The request line is written when the request completes, after the client has the body: wait for it.
        var request = Message(await service.WaitForLineAsync(
            l => l.Contains("\"RequestPath\":\"/v1/tts\"", StringComparison.Ordinal), TimeSpan.FromMinutes(1), Ct));
        Assert.Matches(RequestLine(), request);

        var messages = service.Lines.Select(Message).ToList();
        var model = Assert.Single(messages, m => m.StartsWith("Loaded model", StringComparison.Ordinal));
        Assert.DoesNotContain("\"", model, StringComparison.Ordinal);
        Assert.Contains("providers preprocess=CPU, transformer=CPU, decode=CPU", model, StringComparison.Ordinal);
        Assert.EndsWith("worker cpu", model, StringComparison.Ordinal);
        Assert.All(messages.Where(m => m.StartsWith("Stage ", StringComparison.Ordinal)),
            m => Assert.DoesNotContain("\"", m, StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Batch worker cpu started", StringComparison.Ordinal));
        // String values are never quoted into messages (Serilog's default), so nothing doubles them either.
        Assert.DoesNotContain(messages, m => m.Contains("\"\"", StringComparison.Ordinal));

        // A CPU-only machine cannot load the GPU providers: one short line each, never ONNX Runtime's full text.
        var fallbacks = messages.Where(m => m.StartsWith("Execution provider", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(fallbacks);
        Assert.Equal(fallbacks.Count, fallbacks.Distinct().Count());
        Assert.All(fallbacks, m => Assert.True(m.Length <= 260 && !m.Contains('\n', StringComparison.Ordinal), m));

        Assert.Single(messages, m => m.StartsWith("Output formats: wav, pcm, opus", StringComparison.Ordinal));
    }

    private static string Message(string line)
    {
        using var json = JsonDocument.Parse(line);
        return json.RootElement.TryGetProperty("@m", out var m) ? m.GetString() ?? "" : "";
    }

    [GeneratedRegex(@"^HTTP POST /v1/tts responded 200 in \d+\.\d ms$")]
    private static partial Regex RequestLine();
}
