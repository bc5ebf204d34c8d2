using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// An upstream-compatible DakeQQ export (NFE baked into the graph, batch 1) served through the same path as the
/// project's own contract: one request at a time, the fixed step count reported, other step counts refused.
/// </summary>
public sealed class DakeqqServingTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Model:Directory"] = "tests/fixtures/models/tiny-v1-dakeqq",
    });

    private readonly HttpClient _client;

    public DakeqqServingTests() => _client = _factory.CreateSocketClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Dakeqq_model_serves_one_at_a_time_with_its_baked_step_count()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var models = JsonDocument.Parse(await _client.GetStringAsync(new Uri("v1/models", UriKind.Relative), Ct));
        var model = models.RootElement.GetProperty("data")[0];
        Assert.Equal("dakeqq", model.GetProperty("contract").GetString());
        Assert.Equal(1, model.GetProperty("max_batch_size").GetInt32());
        var fixedSteps = model.GetProperty("fixed_nfe_steps").GetInt32();

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            Speech.PostJsonAsync(_client, "v1/tts", new { text = "Served by the compatibility path.", seed = i }, Ct)));
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(1, Speech.HeaderNumber(response, "X-Batch-Size"));
                var probe = await Speech.ProbeAsync(await response.Content.ReadAsByteArrayAsync(Ct), "wav", Ct);
                Assert.Equal(24_000, probe.Rate);
            }
        }

        using var refused = await Speech.PostJsonAsync(_client, "v1/tts", new { text = "Sixteen steps, please.", nfe_steps = fixedSteps == 16 ? 8 : 16 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("nfe_steps", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
