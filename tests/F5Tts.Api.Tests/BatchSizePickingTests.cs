using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// <c>F5Tts:Batching:LatencyBudgetMilliseconds</c> on the real host (tiny model, ONNX Runtime on the CPU): the worker
/// times its step at each candidate batch size during warm-up, keeps to the size it picked (shown by
/// <c>f5tts_worker_batch_limit</c> and <c>/v1/models</c>) and serves afterwards. Which size the CPU makes fastest is
/// not fixed, so the pick rule itself is tested with a fake clock (BatchSizePickerTests); here a budget no size can
/// meet (1 ms for 32 steps of the real Transformer: a busy machine only makes its steps slower) forces the smallest.
/// </summary>
public sealed class BatchSizePickingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("0", 4)] // no budget: the configured limit as it is
    [InlineData("1", 1)] // 32 steps cannot take 1 ms at any size: the smallest
    public async Task The_worker_keeps_to_the_batch_size_it_picked_and_serves(string budgetMs, int expected)
    {
        await using var host = new F5TtsApiFactory(new Dictionary<string, string?>
        {
            ["F5Tts:Batching:MaxBatchSize"] = "4",
            ["F5Tts:Batching:LatencyBudgetMilliseconds"] = budgetMs,
        });
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        var metrics = await client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);
        Assert.Equal(expected, WorkerMetrics.Sample(metrics, "f5tts_worker_batch_limit", "cpu"));
        using (var models = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/models", UriKind.Relative), Ct)))
        {
            Assert.Equal(expected, models.RootElement.GetProperty("data")[0].GetProperty("max_batch_size").GetInt32());
        }

        using var response = await Speech.PostJsonAsync(client, "v1/audio/speech", new { input = "Hello there.", response_format = "wav" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
