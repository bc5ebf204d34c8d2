using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests.Reliability;

/// <summary>
/// Overload and disconnect storms through the real host: a mixed burst far beyond the queue gets only 200, 429 or
/// 503 and every 200 is a complete WAV; a storm of clients leaving (before and after their stream started) brings
/// the queue and in-flight gauges back to 0 and leaves the service answering.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class LoadReliabilityTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Batching:MaxBatchSize"] = "2",
        ["F5Tts:Batching:QueueCapacity"] = "3",
        ["F5Tts:Batching:RetryAfterSeconds"] = "1",
    });

    private readonly HttpClient _client;

    public LoadReliabilityTests() => _client = _factory.CreateSocketClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task A_mixed_burst_gets_only_200_429_or_503_and_every_200_is_a_complete_wav()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        const int burst = 30;
        var responses = await Task.WhenAll(Enumerable.Range(0, burst).Select(i => (i % 3) switch
        {
            0 => Speech.PostJsonAsync(_client, "v1/tts", new { text = $"Whole request number {i}.", nfe_steps = 8, seed = i }, Ct),
            1 => Speech.PostJsonAsync(_client, "v1/tts", new { text = $"Streamed request number {i}. It has two sentences.", nfe_steps = 8, stream = true }, Ct),
            _ => Speech.PostJsonAsync(_client, "v1/audio/speech", new { input = $"OpenAI request number {i}.", response_format = "wav", nfe_steps = 8 }, Ct),
        }));

        var counts = new Dictionary<HttpStatusCode, int>();
        foreach (var response in responses)
        {
            using (response)
            {
                counts[response.StatusCode] = counts.GetValueOrDefault(response.StatusCode) + 1;
                var body = await response.Content.ReadAsByteArrayAsync(Ct);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        AssertCompleteWav(body);
                        break;
                    case HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable:
                        Assert.NotNull(response.Headers.RetryAfter);
                        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                        break;
                    default:
                        Assert.Fail($"unexpected {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
                        break;
                }
            }
        }

        Assert.True(counts.GetValueOrDefault(HttpStatusCode.OK) >= 1, "nothing was served");
        var metrics = await _client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);
        Assert.Equal(counts.GetValueOrDefault(HttpStatusCode.TooManyRequests), TtsEndpointTests.MetricValue(metrics, "f5tts_requests_total", "reason=\"queue-full\""));
    }

    [Fact]
    public async Task A_disconnect_storm_brings_the_gauges_back_to_0()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        var text = string.Join(' ', Enumerable.Repeat("Clients leave in the middle of this long text.", 6));
        var storm = Enumerable.Range(0, 24).Select(async i =>
        {
            using var client = _factory.CreateSocketClient();
            using var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            try
            {
                var path = i % 2 == 0 ? "v1/audio/speech" : "v1/tts";
                object body = i % 2 == 0 ? new { input = text, response_format = "pcm", nfe_steps = 16 } : new { text, format = "pcm", nfe_steps = 16, stream = i % 4 == 1 };
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
                if (i % 3 == 0)
                {
                    leave.Cancel(); // before anything was sent back: cancelled while queued or sending
                }

                var send = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
                using var response = await send;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    await using var stream = await response.Content.ReadAsStreamAsync(leave.Token);
                    await stream.ReadExactlyAsync(new byte[2], leave.Token); // started; then leave
                }
            }
            catch (OperationCanceledException)
            {
                // the client left
            }
        });
        await Task.WhenAll(storm);

        // The server notices each departure asynchronously: poll until both gauges are 0 (bounded by the test timeout).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard
        while (true)
        {
            var metrics = await _client.GetStringAsync(new Uri("metrics", UriKind.Relative), timeout.Token);
            if (TtsEndpointTests.MetricValue(metrics, "f5tts_inflight_requests") == 0 && TtsEndpointTests.MetricValue(metrics, "f5tts_queue_depth") == 0)
            {
                break;
            }

            await Task.Delay(50, timeout.Token);
        }

        using var after = await Speech.PostJsonAsync(_client, "v1/tts", new { text = "After the storm.", nfe_steps = 4 }, Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        AssertCompleteWav(await after.Content.ReadAsByteArrayAsync(Ct));
    }

    /// <summary>A 24 kHz mono 16-bit WAV whose data is whole samples; a fixed-length header must match the body.</summary>
    internal static void AssertCompleteWav(byte[] wav)
    {
        Assert.True(wav.Length > 44, $"{wav.Length} bytes");
        Assert.True(wav.AsSpan(0, 4).SequenceEqual("RIFF"u8) && wav.AsSpan(8, 4).SequenceEqual("WAVE"u8), "not RIFF/WAVE");
        Assert.Equal(24_000u, BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(24)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(22)));
        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(40));
        int data = wav.Length - 44;
        Assert.True(data > 0 && data % 2 == 0, $"{data} data bytes");
        // A streamed WAV cannot know its length up front and says "unknown" (0 or all ones); otherwise it must match.
        Assert.True(declared is 0 or uint.MaxValue or 0x7FFFFFFF || declared == data, $"header says {declared}, body has {data}");
    }
}
