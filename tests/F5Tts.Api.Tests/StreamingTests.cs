using System.Net;
using System.Net.Http.Json;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Synthesis;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// Streaming through the real host on the tiny model: the first audio bytes reach the client while later chunks are
/// still being synthesised (shown by the scheduler's step counter, not by time), the streamed audio equals the whole
/// response, and a client that goes away stops the remaining chunks.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private const string FiveSentences =
        "The first sentence is short. The second one is a little longer than the first one was. " +
        "Here comes the third sentence, which keeps going for a while so that the text needs several chunks. " +
        "The fourth sentence talks about nothing in particular, but it adds more words to the request. " +
        "Finally, the fifth sentence ends the paragraph and the test.";

    /// <summary>Two sentences: more than FirstChunkMaxBytes (40), far less than one chunk's budget.</summary>
    internal const string TwoSentences = "The first sentence is short. The second one is a little longer than the first one was.";

    // ShortFirstChunkForWholeResponses: whole responses chunk like streamed ones, so the two can be compared.
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Text:FirstChunkMaxBytes"] = "40",
        ["F5Tts:Synthesis:ShortFirstChunkForWholeResponses"] = "true",
    });

    private readonly HttpClient _client;

    public StreamingTests() => _client = _factory.CreateSocketClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task First_bytes_arrive_while_later_chunks_are_still_synthesised_and_the_stream_equals_the_whole_response()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        var host = _factory.Services.GetRequiredService<EngineHost>();
        var body = new TtsBody(FiveSentences, 16, 11, "pcm", true);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/tts", UriKind.Relative)) { Content = JsonContent.Create(body) };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentLength); // chunked
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        var streamed = new MemoryStream();
        var buffer = new byte[8192];
        var read = await stream.ReadAsync(buffer, Ct);
        Assert.True(read > 0);
        var stepsAtFirstBytes = host.Workers.StepCount;
        var busyAtFirstBytes = host.Workers.RunningCount + host.Workers.WaitingCount;
        streamed.Write(buffer, 0, read);
        while ((read = await stream.ReadAsync(buffer, Ct)) > 0)
        {
            streamed.Write(buffer, 0, read);
        }

        var stepsAtEnd = host.Workers.StepCount;
        Assert.True(busyAtFirstBytes > 0, "no chunk was left in flight when the first audio arrived");
        Assert.True(stepsAtEnd >= stepsAtFirstBytes + 16, $"steps at first bytes {stepsAtFirstBytes}, at the end {stepsAtEnd}");

        using var whole = await Speech.PostJsonAsync(_client, "v1/tts", body with { Stream = false }, Ct);
        var wholeSamples = Speech.Pcm16(await whole.Content.ReadAsByteArrayAsync(Ct));
        var streamedSamples = Speech.Pcm16(streamed.ToArray());
        Assert.Equal(wholeSamples.Length, streamedSamples.Length);
        // Chunks ride different batches when streamed; batched == alone to < 1e-5, so at most 1 LSB after rounding.
        Assert.True(wholeSamples.Zip(streamedSamples, (a, b) => Math.Abs(a - b)).Max() <= 1);
        Assert.True(Speech.HeaderNumber(whole, "X-Chunks") >= 3, "five sentences with a short first chunk");
    }

    [Fact]
    public async Task With_the_option_a_whole_response_splits_off_the_short_first_chunk_too()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var whole = await Speech.PostJsonAsync(_client, "v1/tts", new TtsBody(TwoSentences, 4, 3, "pcm", false), Ct);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(2, Speech.HeaderNumber(whole, "X-Chunks"));
    }

    [Fact]
    public async Task Streamed_wav_has_an_open_ended_header_and_decodes()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var response = await Speech.PostJsonAsync(_client, "v1/tts", new { text = FiveSentences, nfe_steps = 4, seed = 2, stream = true }, Ct);
        var wav = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(0xFFFFFFFFu, BitConverter.ToUInt32(wav, 4));
        var probe = await Speech.ProbeAsync(wav, "wav", Ct);
        Assert.Equal(24_000, probe.Rate);
        Assert.InRange(probe.Duration, (wav.Length - 44) / 2 / 24_000.0 - 0.02, (wav.Length - 44) / 2 / 24_000.0 + 0.02);
    }

    [Fact]
    public async Task A_client_that_goes_away_stops_the_remaining_chunks()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        var host = _factory.Services.GetRequiredService<EngineHost>();
        var body = new { text = FiveSentences + " " + FiveSentences, nfe_steps = 64, seed = 3, format = "pcm", stream = true };
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/tts", UriKind.Relative)) { Content = JsonContent.Create(body) })
        using (var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            Assert.True(await stream.ReadAsync(new byte[1024], Ct) > 0);
        }

        // Disposing the response closed the connection: the server notices and cancels the queued/running chunks.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard
        while (host.Workers.RunningCount + host.Workers.WaitingCount > 0)
        {
            await Task.Delay(10, timeout.Token);
        }

        var stepsWhenIdle = host.Workers.StepCount;
        // The request is counted when its handler unwinds, just after the worker went idle: wait for it.
        while (!(await _client.GetStringAsync(new Uri("metrics", UriKind.Relative), timeout.Token)).Contains("outcome=\"cancelled\"", StringComparison.Ordinal))
        {
            await Task.Delay(10, timeout.Token);
        }

        // The whole text would need several chunks × 64 steps; the worker stopped long before.
        Assert.True(stepsWhenIdle < 64 * 3, $"{stepsWhenIdle} steps ran");
    }
}

/// <summary>A /v1/tts body that can be copied with another <c>stream</c> value.</summary>
internal sealed record TtsBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("text")] string Text,
    [property: System.Text.Json.Serialization.JsonPropertyName("nfe_steps")] int NfeSteps,
    [property: System.Text.Json.Serialization.JsonPropertyName("seed")] long Seed,
    [property: System.Text.Json.Serialization.JsonPropertyName("format")] string Format,
    [property: System.Text.Json.Serialization.JsonPropertyName("stream")] bool Stream);

/// <summary>
/// Default chunking of whole responses: no short first chunk (it only serves streaming's time to first audio), so a
/// text that fits one chunk is synthesised in one — compare the two chunks of the same text in <see cref="StreamingTests"/>.
/// </summary>
public sealed class WholeResponseChunkingTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Text:FirstChunkMaxBytes"] = "40",
    });

    private readonly HttpClient _client;

    public WholeResponseChunkingTests() => _client = _factory.CreateSocketClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task A_whole_response_that_fits_one_chunk_is_one_chunk()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var whole = await Speech.PostJsonAsync(_client, "v1/tts", new TtsBody(StreamingTests.TwoSentences, 4, 3, "pcm", false), Ct);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(1, Speech.HeaderNumber(whole, "X-Chunks"));
        Assert.True(Speech.HeaderNumber(whole, "X-Audio-Duration") > 1);
    }
}
