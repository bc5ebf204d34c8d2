using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Text;
using F5Tts.Inference.Voices;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// Pauses and dialogue in <c>/v1/tts</c> texts on the tiny model through real Kestrel: pauses are exact silence, each
/// dialogue turn reaches the engine in its voice, an unknown voice tag is a 400 naming it, and the OpenAI route reads
/// no markup. The host is <see cref="DubEndpointTests.Host"/> (voices alice and bob, engine inputs recorded).
/// </summary>
public sealed class ScriptEndpointTests(DubEndpointTests.Host host) : IClassFixture<DubEndpointTests.Host>
{
    private const int Rate = 24_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pauses_are_exact_silence_between_the_speech()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        var pcm = await PcmAsync(client, new
        {
            text = "Hello there.[pause 500ms]Goodbye now.<break time=\"250ms\"/>",
            voice = "alice",
            format = "pcm",
            nfe_steps = 4,
            seed = 7000,
        });

        var (first, second) = (SpeechSamples(7000, "alice"), SpeechSamples(7001, "alice"));
        Assert.Equal(first + (Rate / 2) + second + (Rate / 4), pcm.Length);
        AssertSilence(pcm, first, first + (Rate / 2));
        AssertSilence(pcm, pcm.Length - (Rate / 4), pcm.Length);
        Assert.True(pcm[first - 1] != 0 || pcm[first - 2] != 0, "speech right up to the pause");
        Assert.DoesNotContain(host.Prepared, p => p.Sampler.Seed == 7002);
    }

    [Fact]
    public async Task Each_dialogue_turn_is_spoken_in_its_voice_with_the_gap_between()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        var pcm = await PcmAsync(client, new
        {
            text = "[Alice] 你好。[bob] Hi there.",
            dialogue = true,
            gap_ms = 200,
            format = "pcm",
            nfe_steps = 4,
            seed = 8000,
        });

        var (first, second) = (SpeechSamples(8000, "alice"), SpeechSamples(8001, "bob"));
        Assert.Equal(first + (Rate / 5) + second, pcm.Length);
        AssertSilence(pcm, first, first + (Rate / 5));
    }

    [Fact]
    public async Task An_unknown_voice_tag_is_a_400_naming_it_and_nothing_is_synthesised()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        var prepared = host.Prepared.Count;
        using var response = await Speech.PostJsonAsync(client, "v1/tts",
            new { text = "[alice] Hello. [Zed] Who am I?", dialogue = true, nfe_steps = 4 }, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("urn:f5tts:problem:invalid-input", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal("text", problem.RootElement.GetProperty("parameter").GetString());
        Assert.Equal("segment 2 ([Zed]): voice 'zed' does not exist.", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(prepared, host.Prepared.Count);
    }

    [Fact]
    public async Task The_character_limit_holds_for_the_whole_text_not_each_segment()
    {
        // Two segments of ≈ 2 600 characters each: each is under F5Tts:Text:MaxCharacters (5 000), the text is not.
        using var client = await host.ClientWithVoicesAsync(Ct);
        var prepared = host.Prepared.Count;
        var half = string.Concat(Enumerable.Repeat("Hello there. ", 200));
        using var response = await Speech.PostJsonAsync(client, "v1/tts",
            new { text = half + "[pause 10ms]" + half, voice = "alice", nfe_steps = 4 }, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, body);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("urn:f5tts:problem:payload-too-large", problem.RootElement.GetProperty("type").GetString());
        Assert.Contains("F5Tts:Text:MaxCharacters", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(prepared, host.Prepared.Count);
    }

    [Fact]
    public async Task Without_dialogue_and_on_the_OpenAI_route_tags_are_text()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        _ = await PcmAsync(client, new { text = "[alice] Hello.", format = "pcm", nfe_steps = 4, seed = 9000 });
        Assert.Single(host.Prepared, p => p.Sampler.Seed is 9000 or 9001);

        using var speech = await Speech.PostJsonAsync(client, "v1/audio/speech", new
        {
            model = "tts-1",
            input = "Hello [pause 500ms] there.",
            voice = "alloy",
            response_format = "pcm",
            nfe_steps = 4,
            seed = 9100,
        }, Ct);
        Assert.Equal(HttpStatusCode.OK, speech.StatusCode);
        var input = Assert.Single(host.Prepared, p => p.Sampler.Seed is 9100 or 9101);
        Assert.True(input.TextIds.Length > "Hello there.".Length, "the pause tag was spoken as text");
    }

    [Fact]
    public async Task Timestamps_give_each_segment_its_exact_samples_as_json_webvtt_and_events()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        var body = new Dictionary<string, object>
        {
            ["text"] = "Hello there.[pause 500ms]Goodbye now.",
            ["voice"] = "alice",
            ["format"] = "pcm",
            ["nfe_steps"] = 4,
            ["seed"] = 7100,
            ["timestamps"] = true,
        };
        using var response = await Speech.PostJsonAsync(client, "v1/tts", body, Ct);
        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json);
        using var answer = JsonDocument.Parse(json);
        var root = answer.RootElement;

        var (first, second) = (SpeechSamples(7100, "alice"), SpeechSamples(7101, "alice"));
        long[][] expected = [[0, first], [first + (Rate / 2), first + (Rate / 2) + second]];
        var segments = root.GetProperty("segments").EnumerateArray()
            .Select(s => new[] { s.GetProperty("start_sample").GetInt64(), s.GetProperty("end_sample").GetInt64() }).ToArray();
        Assert.Equal(expected, segments);
        Assert.Equal("Goodbye now.", root.GetProperty("segments")[1].GetProperty("text").GetString());
        var pcm = Speech.Pcm16(Convert.FromBase64String(root.GetProperty("audio").GetString()!));
        Assert.Equal(expected[1][1], pcm.Length);

        // The captions are WebVTT the subtitle reader accepts, at the segments' times (to the millisecond).
        var cues = F5Tts.Inference.Dubbing.SubtitleParser.Parse(root.GetProperty("webvtt").GetString()!, new F5Tts.Inference.Options.DubOptions());
        Assert.Equal(2, cues.Count);
        Assert.Equal(expected[1][0] / (double)Rate, cues[1].Start.TotalSeconds, 0.001);
        Assert.Equal(expected[1][1] / (double)Rate, cues[1].End.TotalSeconds, 0.001);

        // Streamed: the same segments as speech.segment events among the audio deltas.
        body["stream"] = true;
        body["seed"] = 7200;
        using var streamed = await Speech.PostJsonAsync(client, "v1/tts", body, Ct);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType!.MediaType);
        var events = (await streamed.Content.ReadAsStringAsync(Ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        var placed = events.Where(e => e.GetProperty("type").GetString() == "speech.segment")
            .Select(e => new[] { e.GetProperty("start_sample").GetInt64(), e.GetProperty("end_sample").GetInt64() }).ToArray();
        var (first2, second2) = (SpeechSamples(7200, "alice"), SpeechSamples(7201, "alice"));
        Assert.Equal([[0, first2], [first2 + (Rate / 2), first2 + (Rate / 2) + second2]], placed);
        var audio = events.Where(e => e.GetProperty("type").GetString() == "speech.audio.delta")
            .Sum(e => Convert.FromBase64String(e.GetProperty("audio").GetString()!).Length);
        Assert.Equal(placed[1][1] * 2, audio);
        Assert.Equal("speech.audio.done", events[^1].GetProperty("type").GetString());
    }

    /// <summary>Samples of speech the engine produced for the chunk with this seed (one chunk: no cross-fade).</summary>
    private int SpeechSamples(long seed, string voiceId)
    {
        var input = Assert.Single(host.Prepared, p => p.Sampler.Seed == seed);
        Assert.True(host.Services.GetRequiredService<IVoiceRegistry>().TryGet(voiceId, out var voice));
        Assert.Same(voice.Reference.Samples, input.ReferenceAudio);
        // The batched contract decodes the generated frames less one into hops of 256 samples.
        return (input.TotalFrames - DurationEstimator.ReferenceMelFrames(input.ReferenceAudio.Length) - 1) * DurationEstimator.HopLength;
    }

    private static async Task<short[]> PcmAsync(HttpClient client, object body)
    {
        using var response = await Speech.PostJsonAsync(client, "v1/tts", body, Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(bytes));
        return Speech.Pcm16(bytes);
    }

    private static void AssertSilence(short[] pcm, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            Assert.True(pcm[i] == 0, $"sample {i} is {pcm[i]}, not silence ({from}..{to})");
        }
    }
}
