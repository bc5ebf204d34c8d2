using System.Net;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// <c>POST /v1/tts</c> through the real host on real Kestrel with the tiny fixture model (ONNX Runtime, CPU): formats
/// checked by real decoders, batching across requests, reproducibility, and every documented error.
/// </summary>
public sealed class TtsEndpointTests : IDisposable
{
    private const string English = "Hello there. This is a short test of the speech service.";
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        // A wide coalescing window makes concurrent requests of one test share their first Transformer call.
        ["F5Tts:Batching:MaxWaitMilliseconds"] = "300",
    });

    private readonly HttpClient _client;

    public TtsEndpointTests() => _client = _factory.CreateSocketClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Wav_is_16_bit_mono_24_kHz_with_the_announced_duration_and_timing_headers()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var response = await Speech.PostJsonAsync(_client, "v1/tts", new { text = English, nfe_steps = 4, seed = 7 }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/wav", response.Content.Headers.ContentType!.MediaType);
        var wav = await response.Content.ReadAsByteArrayAsync(Ct);
        var (codec, rate, channels, duration) = await Speech.ProbeAsync(wav, "wav", Ct);
        Assert.Equal("pcm_s16le", codec);
        Assert.Equal(24_000, rate);
        Assert.Equal(1, channels);
        Assert.InRange(duration, Speech.HeaderNumber(response, "X-Audio-Duration") - 0.001, Speech.HeaderNumber(response, "X-Audio-Duration") + 0.001);
        Assert.True(duration > 1, $"only {duration} s of audio");
        foreach (var header in new[] { "X-Queue-Time", "X-Inference-Time", "X-Total-Time", "X-Batch-Size" })
        {
            Assert.True(Speech.HeaderNumber(response, header) >= 0, header);
        }

        Assert.True(Speech.HeaderNumber(response, "X-Total-Time") >= Speech.HeaderNumber(response, "X-Inference-Time"));
    }

    [Theory]
    [InlineData("opus", "ogg", "opus", 48_000)]
    [InlineData("mp3", "mp3", "mp3", 16_000)]
    [InlineData("wav", "wav", "pcm_s16le", 16_000)]
    public async Task Other_formats_and_rates_decode_with_the_same_duration(string format, string extension, string codec, int expectedRate)
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var pcm = await Speech.PostJsonAsync(_client, "v1/tts", new { text = English, nfe_steps = 4, seed = 3, format = "pcm" }, Ct);
        var seconds = (await pcm.Content.ReadAsByteArrayAsync(Ct)).Length / 2 / 24_000.0;

        using var response = await Speech.PostJsonAsync(_client, "v1/tts", new { text = English, nfe_steps = 4, seed = 3, format, sample_rate = 16_000 }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var probe = await Speech.ProbeAsync(await response.Content.ReadAsByteArrayAsync(Ct), extension, Ct);
        Assert.Equal(codec, probe.Codec);
        Assert.Equal(expectedRate, probe.Rate);
        Assert.Equal(1, probe.Channels);
        // MP3 frames pad the end (up to one 1152-sample frame + encoder delay); WAV/Opus are exact to 20 ms.
        Assert.InRange(probe.Duration, seconds - 0.02, seconds + (format == "mp3" ? 0.2 : 0.02));
    }

    [Fact]
    public async Task Same_seed_gives_identical_audio_and_another_seed_differs()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        var a = await PcmAsync(new { text = English, nfe_steps = 4, seed = 42, format = "pcm" });
        var b = await PcmAsync(new { text = English, nfe_steps = 4, seed = 42, format = "pcm" });
        var c = await PcmAsync(new { text = English, nfe_steps = 4, seed = 43, format = "pcm" });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_equals_the_same_request_served_alone()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        var bodies = new object[]
        {
            new { text = English, nfe_steps = 6, seed = 1, format = "pcm" },
            new { text = "Batching puts several requests into one call.", nfe_steps = 6, seed = 2, format = "pcm" },
            new { text = "今天天气很好，我们去公园散步吧。", nfe_steps = 6, seed = 3, format = "pcm" },
            new { text = English + " One more sentence here.", nfe_steps = 5, seed = 4, format = "pcm" },
        };
        var responses = await Task.WhenAll(bodies.Select(b => Speech.PostJsonAsync(_client, "v1/tts", b, Ct)));
        var batched = new List<short[]>();
        var batchSizes = new List<double>();
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                batchSizes.Add(Speech.HeaderNumber(response, "X-Batch-Size"));
                batched.Add(Speech.Pcm16(await response.Content.ReadAsByteArrayAsync(Ct)));
            }
        }

        Assert.True(batchSizes.Max() > 1, $"batch sizes {string.Join(",", batchSizes)}");
        for (var i = 0; i < bodies.Length; i++)
        {
            var alone = Speech.Pcm16(await PcmAsync(bodies[i]));
            Assert.Equal(alone.Length, batched[i].Length);
            // Batched and solo floats differ by < 1e-5 (reduction order); after int16 rounding at most 1 LSB.
            var worst = alone.Zip(batched[i], (x, y) => Math.Abs(x - y)).Max();
            Assert.True(worst <= 1, $"request {i}: batched differs from alone by {worst} LSB");
        }

        var metrics = await _client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);
        var single = MetricValue(metrics, "f5tts_batch_size_bucket", "le=\"1\"");
        var all = MetricValue(metrics, "f5tts_batch_size_count");
        Assert.True(all > single, $"every Transformer call had one item: {single} of {all}");
    }

    [Fact]
    public async Task Inline_reference_clip_with_transcript_is_used()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        var clip = Convert.ToBase64String(SineWav(seconds: 2.0, rate: 16_000));
        using var response = await Speech.PostJsonAsync(_client, "v1/tts",
            new { text = English, nfe_steps = 4, seed = 5, reference = new { audio = clip, text = "A two second tone." } }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadAsByteArrayAsync(Ct)).Length > 44);
    }

    public static TheoryData<string, int, string> BadRequests() => new()
    {
        { "{\"text\": \"hi\"", 400, "malformed-json" },
        { "{\"text\": 5}", 400, "malformed-json" },
        { "{\"text\": \"Hello\", \"speed\": \"fast\"}", 400, "malformed-json" },
        { "{}", 400, "invalid-input" },
        { "{\"text\": \"\"}", 400, "invalid-input" },
        { "{\"text\": \"" + new string('a', 6000) + "\"}", 413, "payload-too-large" },
        { "{\"text\": \"Hello there\", \"voice\": \"nobody\"}", 404, "voice-not-found" },
        { "{\"text\": \"Hello there\", \"reference\": {\"audio\": \"@@@not base64@@@\", \"text\": \"x\"}}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"reference\": {\"audio\": \"" + Convert.ToBase64String(Encoding.ASCII.GetBytes("this is not audio at all, just some text bytes")) + "\", \"text\": \"x\"}}", 415, "unsupported-media" },
        { "{\"text\": \"Hello there\", \"reference\": {\"audio\": \"" + Convert.ToBase64String(SineWav(1.0, 24_000)[..60]) + "\", \"text\": \"x\"}}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"nfe_steps\": 0}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"nfe_steps\": 100000}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"speed\": 100}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"cfg_strength\": -1}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"format\": \"flac\"}", 400, "invalid-input" },
        { "{\"text\": \"Hello there\", \"sample_rate\": 1000}", 400, "invalid-input" },
        { "{\"text\": \"，。！ ；\"}", 422, "no-speakable-text" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Malformed_inputs_get_the_documented_problem(string body, int status, string slug)
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(new Uri("v1/tts", UriKind.Relative), content, Ct);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal($"urn:f5tts:problem:{slug}", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Models_endpoint_reports_the_contract_and_the_providers_in_use()
    {
        await Speech.WaitReadyAsync(_client, Ct);
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri("v1/models", UriKind.Relative), Ct));
        var model = json.RootElement.GetProperty("data")[0];
        Assert.Equal("f5tts-batched/1", model.GetProperty("contract").GetString());
        Assert.Equal("CPU", model.GetProperty("providers").GetProperty("transformer").GetString());
        Assert.True(model.GetProperty("ready").GetBoolean());
    }

    private async Task<byte[]> PcmAsync(object body)
    {
        using var response = await Speech.PostJsonAsync(_client, "v1/tts", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync(Ct);
    }

    /// <summary>Value of the first sample of <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    internal static double MetricValue(string exposition, string name, string? label = null)
    {
        var line = exposition.Split('\n').FirstOrDefault(l =>
                (l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
                && (label is null || l.Contains(label, StringComparison.Ordinal)))
            ?? throw new Xunit.Sdk.XunitException($"{name} {label} not in /metrics");
        var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
        return double.Parse(line.Contains('{', StringComparison.Ordinal) ? value : line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static byte[] SineWav(double seconds, int rate)
    {
        var samples = (int)(seconds * rate);
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("RIFF"u8);
        writer.Write(36 + (samples * 2));
        writer.Write("WAVEfmt "u8);
        writer.Write(16);
        writer.Write((short)1);
        writer.Write((short)1);
        writer.Write(rate);
        writer.Write(rate * 2);
        writer.Write((short)2);
        writer.Write((short)16);
        writer.Write("data"u8);
        writer.Write(samples * 2);
        for (var i = 0; i < samples; i++)
        {
            writer.Write((short)(8_000 * Math.Sin(2 * Math.PI * 220 * i / rate)));
        }

        writer.Flush();
        return stream.ToArray();
    }
}
