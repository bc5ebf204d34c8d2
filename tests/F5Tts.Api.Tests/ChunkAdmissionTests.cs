using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Api.Errors;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Synthesis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace F5Tts.Api.Tests;

/// <summary>
/// A request's chunks are admitted as one unit, through the real host on the tiny model: a streamed request of two
/// chunks in flight when the host stops runs to its end — its second chunk is submitted after the drain began — and a
/// text needing more chunks than can ever be queued is refused at once with 413, streamed or whole. The engine is
/// wrapped to hold the first chunk's Preprocess until the test lets it go, so the order of events is set, not timed.
/// </summary>
public sealed class ChunkAdmissionTests
{
    private const long HeldSeed = 1_000;
    private const long ReferenceSeed = 2_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_streamed_request_of_several_chunks_in_flight_at_shutdown_is_served_with_all_its_chunks()
    {
        using var gate = new HeldPrepare(HeldSeed);
        using var factory = new GatedFactory(gate, new Dictionary<string, string?>
        {
            ["F5Tts:Text:FirstChunkMaxBytes"] = "40",
            ["F5Tts:Server:ShutdownTimeoutSeconds"] = "120",
        });
        using var client = factory.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        // The same text with another seed, undisturbed: how much audio all of its chunks make.
        byte[] expected;
        using (var reference = await SpeakAsync(client, ReferenceSeed, HttpCompletionOption.ResponseContentRead))
        {
            Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
            expected = await reference.Content.ReadAsByteArrayAsync(Ct);
        }

        Assert.True(gate.PreparedSeeds.Count(s => s >= ReferenceSeed) >= 2, "the text must need two chunks when streamed");

        var inFlight = SpeakAsync(client, HeldSeed, HttpCompletionOption.ResponseHeadersRead);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromMinutes(5), Ct); // admitted: its first chunk is being prepared
        var stopping = factory.Services.GetRequiredService<IHost>().StopAsync(CancellationToken.None);
        await WaitUntilDrainingAsync(factory.Services.GetRequiredService<EngineHost>()); // nothing new is admitted
        gate.Release();

        using var response = await inFlight.WaitAsync(TimeSpan.FromMinutes(5), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var streamed = await response.Content.ReadAsByteArrayAsync(Ct); // throws if the stream was cut short
        Assert.Equal(expected.Length, streamed.Length);
        Assert.Contains(HeldSeed + 1, gate.PreparedSeeds); // the second chunk ran after the drain began
        await stopping.WaitAsync(TimeSpan.FromMinutes(5), Ct);
    }

    [Theory]
    [InlineData("v1/tts")]
    [InlineData("v1/audio/speech")]
    public async Task A_text_needing_more_chunks_than_can_ever_be_queued_gets_413_naming_the_limit(string path)
    {
        using var factory = new F5TtsApiFactory(new Dictionary<string, string?> { ["F5Tts:Batching:QueueCapacity"] = "2" });
        using var client = factory.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        var text = string.Join(' ', Enumerable.Repeat("This sentence is one of many that together need far more than two chunks of audio.", 20));
        object body = path == "v1/tts" ? new { text, nfe_steps = 4 } : new { input = text, response_format = "pcm", nfe_steps = 4 };

        using var response = await Speech.PostJsonAsync(client, path, body, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(ProblemTypes.PayloadTooLarge, problem.RootElement.GetProperty("type").GetString());
        var detail = problem.RootElement.GetProperty("detail").GetString();
        Assert.Contains("QueueCapacity", detail, StringComparison.Ordinal);
        Assert.Contains("the 2 that can ever be queued", detail, StringComparison.Ordinal);
        Assert.Null(response.Headers.RetryAfter); // not a matter of waiting
    }

    private static Task<HttpResponseMessage> SpeakAsync(HttpClient client, long seed, HttpCompletionOption completion)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/audio/speech", UriKind.Relative))
        {
            Content = JsonContent.Create(new { input = StreamingTests.TwoSentences, response_format = "pcm", nfe_steps = 4, seed }),
        };
        return client.SendAsync(request, completion, Ct).ContinueWith(
            t =>
            {
                request.Dispose();
                return t;
            },
            TaskScheduler.Default).Unwrap();
    }

    private static async Task WaitUntilDrainingAsync(EngineHost host)
    {
        // Synchronisation with the host's drain (readiness flips when it begins), not a timing assertion.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard, not a speed limit
        while (host.IsReady)
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    /// <summary>The real host with its engine wrapped in <see cref="HeldPrepare"/>.</summary>
    private sealed class GatedFactory(HeldPrepare gate, Dictionary<string, string?> settings) : F5TtsApiFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                var real = services.Last(d => d.ServiceType == typeof(ITtsEngine));
                services.Remove(real);
                services.AddSingleton<ITtsEngine>(sp => gate.Wrap((ITtsEngine)real.ImplementationFactory!(sp)));
            });
        }
    }
}

/// <summary>Holds Preprocess of the input with one seed until released, and records every seed prepared.</summary>
internal sealed class HeldPrepare(long heldSeed) : IDisposable
{
    private readonly ManualResetEventSlim _released = new();
    private readonly List<long> _prepared = [];

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<long> PreparedSeeds
    {
        get
        {
            lock (_prepared)
            {
                return [.. _prepared];
            }
        }
    }

    public void Release() => _released.Set();

    public void Dispose() => _released.Dispose();

    public ITtsEngine Wrap(ITtsEngine inner) => new Engine(inner, this);

    private void OnPrepare(EngineInput input, CancellationToken cancellationToken)
    {
        var seed = input.Sampler.Seed ?? -1;
        lock (_prepared)
        {
            _prepared.Add(seed);
        }

        if (seed == heldSeed)
        {
            Entered.TrySetResult();
            _released.Wait(TimeSpan.FromMinutes(5), cancellationToken);
        }
    }

    private sealed class Engine(ITtsEngine inner, HeldPrepare gate) : ITtsEngine
    {
        public EngineDescription Description => inner.Description;

        public bool ConcurrentPrepare => inner.ConcurrentPrepare;

        public void WarmUp(CancellationToken cancellationToken) => inner.WarmUp(cancellationToken);

        public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken)
        {
            gate.OnPrepare(input, cancellationToken);
            return inner.Prepare(input, cancellationToken);
        }

        public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) => inner.RunStep(items, cancellationToken);

        public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) =>
            inner.Decode(items, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
