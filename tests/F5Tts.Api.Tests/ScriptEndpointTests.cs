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
