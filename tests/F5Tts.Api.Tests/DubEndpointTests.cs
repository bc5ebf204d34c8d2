using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference.Voices;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// <c>POST /v1/dub</c> on the tiny model through real Kestrel: every cue gets its exact length and lands at its start,
/// each cue's voice reaches the engine (recorded at Prepare), and every bad subtitle input is a 400 naming the cue.
/// Voices <c>alice</c> (1.5 s clip) and <c>bob</c> (3 s clip) share a transcript, so their own rates differ by 2×.
/// </summary>
public sealed class DubEndpointTests(DubEndpointTests.Host host) : IClassFixture<DubEndpointTests.Host>
{
    private const string Transcript = "One two three four five six.";
    private const int Rate = 24_000;
    private const int Frame = 256; // one mel frame of audio: the tolerance of an exact length

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_cue_has_its_length_in_its_voice_at_its_start_with_silence_between()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        const string vtt = "WEBVTT\n\n00:00.250 --> 00:01.000\n<v Alice>Hello there.</v>\n\n"
            + "2\n00:01.500 --> 00:02.750\n<v Narrator>Nice to meet you.\n\n00:03.000 --> 00:03.600\nGoodbye.\n";
        using var response = await Speech.PostJsonAsync(client, "v1/dub", new
        {
            subtitles = vtt,
            voice = "alice",
            speakers = new Dictionary<string, string> { ["Narrator"] = "bob" },
            format = "pcm",
            nfe_steps = 4,
            seed = 1000,
            report = true,
        }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        var cues = report.RootElement.GetProperty("cues").EnumerateArray().ToList();

        (double Start, double End, string Voice)[] expected = [(0.25, 1.0, "alice"), (1.5, 2.75, "bob"), (3.0, 3.6, "alice")];
        Assert.Equal(expected.Length, cues.Count);
        var pcm = Speech.Pcm16(Convert.FromBase64String(report.RootElement.GetProperty("audio").GetString()!));
        var silentFrom = 0L;
        for (var i = 0; i < expected.Length; i++)
        {
            var cue = cues[i];
            var (start, end, voice) = expected[i];
            var requested = (long)Math.Round((end - start) * Rate);
            var produced = cue.GetProperty("produced_samples").GetInt64();
            var startSample = (long)Math.Round(start * Rate);
            Assert.Equal(voice, cue.GetProperty("voice").GetString());
            Assert.Equal(startSample, cue.GetProperty("start_sample").GetInt64());
            Assert.Equal(requested, cue.GetProperty("requested_samples").GetInt64());
            Assert.Equal(JsonValueKind.Null, cue.GetProperty("fitted").ValueKind);
            Assert.True(Math.Abs(produced - requested) <= Frame / 2, $"cue {i + 1}: {produced} samples for {requested}");
            // This contract decodes g generated frames to (g − 1) hops, so the length is exactly the nearest frame.
            Assert.Equal(ExactDuration.FramesFor(requested) * Frame, produced);
            AssertSilent(pcm, silentFrom, startSample, $"before cue {i + 1}");
            Assert.True(pcm.Skip((int)startSample).Take((int)produced).Count(s => s != 0) > produced / 2, $"cue {i + 1} has speech");
            silentFrom = startSample + produced;
        }

        AssertSilent(pcm, silentFrom, pcm.Length, "after the last cue");
        Assert.Equal((long)Math.Round(3.6 * Rate), pcm.Length); // the track ends with the last cue
        Assert.Equal(3, Speech.HeaderNumber(response, "X-Chunks"));

        // What reached the engine: cue i (seed 1000 + i) with its voice's reference and exactly its frames.
        var registry = host.Services.GetRequiredService<IVoiceRegistry>();
        for (var i = 0; i < expected.Length; i++)
        {
            var input = Assert.Single(host.Prepared, p => p.Sampler.Seed == 1000 + i);
            Assert.True(registry.TryGet(expected[i].Voice, out var voice));
            Assert.Same(voice.Reference.Samples, input.ReferenceAudio);
            var frames = ExactDuration.FramesFor(cues[i].GetProperty("requested_samples").GetInt64());
            Assert.Equal(ExactDuration.TotalFrames(voice.Reference.Samples.Length, frames), input.TotalFrames);
        }
    }

    [Fact]
    public async Task A_cue_that_cannot_fit_is_spoken_at_the_rate_bound_and_reported()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        const string srt = "1\n00:00:00,000 --> 00:00:00,300\nThis sentence has far too many words to be said in a third of a second.\n\n"
            + "2\n00:00:05,000 --> 00:00:08,000\nHi.\n";
        using var response = await Speech.PostJsonAsync(client, "v1/dub",
            new { subtitles = srt, voice = "alice", format = "pcm", nfe_steps = 4, seed = 2000, report = true }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        var cues = report.RootElement.GetProperty("cues").EnumerateArray().ToList();

        Assert.Equal("max_rate", cues[0].GetProperty("fitted").GetString());
        Assert.InRange(cues[0].GetProperty("rate_factor").GetDouble(), 1.9, 2.0); // F5Tts:Dub:MaxRate
        Assert.True(cues[0].GetProperty("produced_seconds").GetDouble() > 1.0, body); // runs past its 0.3 s
        Assert.Equal("min_rate", cues[1].GetProperty("fitted").GetString());
        Assert.InRange(cues[1].GetProperty("rate_factor").GetDouble(), 0.5, 0.55); // F5Tts:Dub:MinRate
        Assert.True(cues[1].GetProperty("produced_seconds").GetDouble() < 1.0, body); // shorter than its 3 s
    }

    [Fact]
    public async Task A_subtitle_file_in_a_multipart_form_gives_the_track_as_audio()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes("1\r\n00:00:00,500 --> 00:00:01,500\r\nHello there.\r\n\r\n2\r\n00:00:02,000 --> 00:00:02,900\r\nGoodbye.\r\n"));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-subrip");
        form.Add(file, "subtitles", "episode.srt");
        form.Add(new StringContent("alice"), "voice");
        form.Add(new StringContent("4"), "nfe_steps");
        form.Add(new StringContent("3000"), "seed");
        using var response = await client.PostAsync(new Uri("v1/dub", UriKind.Relative), form, Ct);
        var audio = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(audio));

        Assert.Equal("audio/wav", response.Content.Headers.ContentType!.MediaType);
        var (codec, rate, channels, duration) = await Speech.ProbeAsync(audio, "wav", Ct);
        Assert.Equal(("pcm_s16le", Rate, 1), (codec, rate, channels));
        Assert.Equal(2.9, duration, 0.001); // ends with the last cue; ffprobe reports whole milliseconds
        Assert.Equal(2, host.Prepared.Count(p => p.Sampler.Seed is 3000 or 3001));
    }

    [Theory]
    [InlineData("1\n00:00:00,000 --> 00:00:01,000\nHi.\n\n2\n00:00:02 --> 00:00:03,000\nYo.", "cue 2", "malformed start time")]
    [InlineData("1\n00:00:00,000 --> 00:00:02,000\nHi.\n\n2\n00:00:01,000 --> 00:00:03,000\nYo.", "cue 2", "before cue 1 ends")]
    [InlineData("1\n00:00:00,000 --> 00:00:09,000\nHi.", "cue 1", "longer than the 8 s")]
    [InlineData("1\n00:00:01,000 --> 00:00:01,000\nHi.", "cue 1", "not after its start")]
    [InlineData("1\n00:00:00,000 --> 00:00:01,000\nA.\n\n2\n00:00:01,000 --> 00:00:02,000\nB.\n\n3\n00:00:02,000 --> 00:00:03,000\nC.\n\n"
        + "4\n00:00:03,000 --> 00:00:04,000\nD.\n\n5\n00:00:04,000 --> 00:00:05,000\nE.", "cue 5", "at most 4 cues")]
    [InlineData("WEBVTT\n\n00:00.000 --> 00:01.000\nHi.\n\nscene-2\n00:01.000 --> 00:02.000\n<v Zed>Yo.", "cue 2 (id 'scene-2')", "speaker 'Zed' has no voice")]
    [InlineData("WEBVTT\n\n00:00.000 --> 00:01.000\n<v Ghost>Boo.", "cue 1", "voice 'nobody' does not exist")]
    [InlineData("WEBVTT\n\n00:00.000 --> 00:01.000\n<b></b>", "cue 1", "has no text")]
    [InlineData("", null, "no cue")]
    public async Task Every_bad_subtitle_input_is_a_400_naming_the_cue(string subtitles, string? cue, string fragment)
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        var prepared = host.Prepared.Count;
        using var response = await Speech.PostJsonAsync(client, "v1/dub", new
        {
            subtitles,
            speakers = new Dictionary<string, string> { ["Ghost"] = "nobody" },
            nfe_steps = 4,
        }, Ct);

        var (type, detail, parameter) = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("urn:f5tts:problem:invalid-input", type);
        Assert.Equal("subtitles", parameter);
        Assert.StartsWith(cue ?? "The subtitles", detail!, StringComparison.Ordinal);
        Assert.Contains(fragment, detail!, StringComparison.Ordinal);
        Assert.Equal(prepared, host.Prepared.Count); // refused before any cue reached the engine
    }

    [Fact]
    public async Task Bodies_that_are_not_subtitle_requests_get_their_problem()
    {
        using var client = await host.ClientWithVoicesAsync(Ct);
        using var plain = await client.PostAsync(new Uri("v1/dub", UriKind.Relative), new StringContent("1\n00:00:00,000 --> 00:00:01,000\nHi."), Ct);
        Assert.Equal("urn:f5tts:problem:unsupported-content-type", (await ProblemAsync(plain, HttpStatusCode.UnsupportedMediaType)).Type);

        using var missing = await Speech.PostJsonAsync(client, "v1/dub", new { voice = "alice" }, Ct);
        Assert.Equal("subtitles", (await ProblemAsync(missing, HttpStatusCode.BadRequest)).Parameter);

        using var broken = await client.PostAsync(new Uri("v1/dub", UriKind.Relative),
            new StringContent("{\"subtitles\": 3}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal("urn:f5tts:problem:malformed-json", (await ProblemAsync(broken, HttpStatusCode.BadRequest)).Type);

        using var speechless = await Speech.PostJsonAsync(client, "v1/dub",
            new { subtitles = "1\n00:00:00,000 --> 00:00:01,000\n。。。", nfe_steps = 4 }, Ct);
        var (type, detail, _) = await ProblemAsync(speechless, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:f5tts:problem:no-speakable-text", type);
        Assert.StartsWith("cue 1: ", detail!, StringComparison.Ordinal);
    }

    private static void AssertSilent(short[] pcm, long from, long to, string where)
    {
        for (var i = from; i < to; i++)
        {
            Assert.True(pcm[i] == 0, $"sample {i} {where} is {pcm[i]}, not silence");
        }
    }

    private static async Task<(string? Type, string? Detail, string? Parameter)> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        using var problem = JsonDocument.Parse(body);
        var root = problem.RootElement;
        return (root.GetProperty("type").GetString(), root.TryGetProperty("detail", out var d) ? d.GetString() : null,
            root.TryGetProperty("parameter", out var p) ? p.GetString() : null);
    }

    /// <summary>The real host with small dubbing limits and an engine that records every input it prepares.</summary>
    public sealed class Host() : F5TtsApiFactory(new Dictionary<string, string?>
    {
        ["F5Tts:Dub:MaxCues"] = "4",
        ["F5Tts:Dub:MaxCueSeconds"] = "8",
    })
    {
        private readonly ConcurrentQueue<EngineInput> _prepared = new();
        private readonly SemaphoreSlim _voicesGate = new(1, 1);
        private bool _voicesUploaded;

        /// <summary>Every input the engine prepared, in order.</summary>
        public IReadOnlyList<EngineInput> Prepared => [.. _prepared];

        /// <summary>A client of the warm host on which the voices alice and bob exist.</summary>
        public async Task<HttpClient> ClientWithVoicesAsync(CancellationToken cancellationToken)
        {
            var client = CreateSocketClient();
            await Speech.WaitReadyAsync(client, cancellationToken);
            await _voicesGate.WaitAsync(cancellationToken);
            try
            {
                if (!_voicesUploaded)
                {
                    foreach (var (id, seconds) in new[] { ("alice", 1.5), ("bob", 3.0) })
                    {
                        using var form = VoiceForms.Form(VoiceForms.Wav(seconds), name: id, transcript: Transcript, id: id);
                        using var created = await client.PostAsync(new Uri("v1/voices", UriKind.Relative), form, cancellationToken);
                        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                    }

                    _voicesUploaded = true;
                }
            }
            finally
            {
                _voicesGate.Release();
            }

            return client;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                var real = services.Last(d => d.ServiceType == typeof(ITtsEngine));
                services.Remove(real);
                services.AddSingleton<ITtsEngine>(sp => new RecordingEngine((ITtsEngine)real.ImplementationFactory!(sp), _prepared));
            });
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                _voicesGate.Dispose();
            }
        }
    }

    /// <summary>The real engine, recording each input at Prepare.</summary>
    private sealed class RecordingEngine(ITtsEngine inner, ConcurrentQueue<EngineInput> prepared) : ITtsEngine
    {
        public EngineDescription Description => inner.Description;

        public bool ConcurrentPrepare => inner.ConcurrentPrepare;

        public void WarmUp(CancellationToken cancellationToken) => inner.WarmUp(cancellationToken);

        public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
        {
            prepared.Enqueue(input);
            return inner.Prepare(input, cancellationToken);
        }

        public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) => inner.RunStep(items, cancellationToken);

        public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) => inner.Decode(items, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
