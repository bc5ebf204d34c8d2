using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests.Reliability;

/// <summary>
/// The service as its own process: SIGTERM with whole and streaming requests in flight (all finish, exit 0),
/// kill -9 in the middle of voice uploads (no partial voice and no leftovers after a restart), and a client that
/// disconnects from a started stream is logged as 499.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ProcessReliabilityTests
{
    private const string TwoChunks = "First sentence here. And a second sentence that follows it, long enough to be its own chunk.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_lets_whole_and_streaming_requests_in_flight_finish()
    {
        var voices = Directory.CreateTempSubdirectory("f5tts-rel-term-");
        await using var service = ServiceProcess.Start(Environment(voices.FullName, ("F5Tts__Server__ShutdownTimeoutSeconds", "900"), ("F5Tts__Batching__RequestTimeoutSeconds", "3600")));
        try
        {
            using var client = Client(service);
            await WaitUntilAsync(() => ReadyAsync(client));

            var whole = Enumerable.Range(0, 3).Select(i => client.PostAsJsonAsync(
                new Uri("v1/tts", UriKind.Relative), new { text = TwoChunks, nfe_steps = 8, seed = i, format = "pcm" }, Ct)).ToList();
            var streams = Enumerable.Range(0, 3).Select(i => client.PostAsJsonAsync(
                new Uri("v1/audio/speech", UriKind.Relative), new { input = TwoChunks, response_format = "pcm", nfe_steps = 8 }, Ct)).ToList();
            await WaitUntilAsync(async () => await MetricAsync(client, "f5tts_inflight_requests") >= 6);

            Signal(service.Process, "TERM");

            foreach (var task in whole.Concat(streams))
            {
                using var response = await task;
                var pcm = await response.Content.ReadAsByteArrayAsync(Ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(pcm)}");
                Assert.True(pcm.Length > 24_000, $"only {pcm.Length} bytes of audio"); // two chunks of speech, well over 0.5 s
            }

            await service.Process.WaitForExitAsync(Ct);
            Assert.Equal(0, service.Process.ExitCode);
        }
        finally
        {
            voices.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Kill_9_during_voice_uploads_leaves_no_partial_voice_and_no_leftovers()
    {
        var voices = Directory.CreateTempSubdirectory("f5tts-rel-kill-");
        try
        {
            int created = 0;
            for (int round = 0; round < 3; round++)
            {
                await using var service = ServiceProcess.Start(Environment(voices.FullName));
                using var client = Client(service);
                await WaitUntilAsync(() => ReadyAsync(client));
                await AssertLibraryConsistentAsync(client, voices.FullName);

                // Uploads back to back on four clients; the kill lands after the first one of the round is stored,
                // while others are being conditioned or written.
                var stored = new TaskCompletionSource();
                var uploads = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
                {
                    for (int i = 0; i < 50; i++)
                    {
                        try
                        {
                            using var response = await client.PostAsync(
                                new Uri("v1/voices", UriKind.Relative), Upload($"Round {round} worker {worker} take {i}"), Ct);
                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                Interlocked.Increment(ref created);
                                stored.TrySetResult();
                            }
                        }
                        catch (HttpRequestException)
                        {
                            return; // killed
                        }
                    }
                })).ToList();
                await stored.Task.WaitAsync(Ct);
                service.Process.Kill(entireProcessTree: true);
                await service.Process.WaitForExitAsync(Ct);
                await Task.WhenAll(uploads);
            }

            Assert.True(created >= 3, $"only {created} voices stored");
            await using var last = ServiceProcess.Start(Environment(voices.FullName));
            using var lastClient = Client(last);
            await WaitUntilAsync(() => ReadyAsync(lastClient));
            await AssertLibraryConsistentAsync(lastClient, voices.FullName);
        }
        finally
        {
            voices.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_client_leaving_a_started_stream_is_logged_as_499()
    {
        var voices = Directory.CreateTempSubdirectory("f5tts-rel-499-");
        var lines = new ConcurrentQueue<string>();
        await using var service = ServiceProcess.Start(Environment(voices.FullName), lines.Enqueue);
        try
        {
            using var client = Client(service);
            await WaitUntilAsync(() => ReadyAsync(client));

            var text = string.Join(' ', Enumerable.Repeat("A long text that keeps the stream busy for a good while.", 12));
            using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/audio/speech") { Content = JsonContent.Create(new { input = text, response_format = "pcm", nfe_steps = 32 }) })
            using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await using var body = await response.Content.ReadAsStreamAsync(Ct);
                var first = new byte[1];
                await body.ReadExactlyAsync(first, Ct); // the stream started; now leave
            }

            await WaitUntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("/v1/audio/speech", StringComparison.Ordinal) && l.Contains("\"StatusCode\":499", StringComparison.Ordinal))));
            Assert.DoesNotContain(lines, l => l.Contains("/v1/audio/speech", StringComparison.Ordinal) && l.Contains("\"StatusCode\":200", StringComparison.Ordinal));
            await WaitUntilAsync(async () => await MetricAsync(client, "f5tts_inflight_requests") == 0);
        }
        finally
        {
            voices.Delete(recursive: true);
        }
    }

    private static async Task AssertLibraryConsistentAsync(HttpClient client, string directory)
    {
        var list = await client.GetFromJsonAsync<VoiceList>(new Uri("v1/voices", UriKind.Relative), Ct);
        var listed = list!.Voices.Select(v => v.Id).Where(id => id != "default").Order(StringComparer.Ordinal).ToList();
        foreach (var id in listed)
        {
            using var voice = await client.GetAsync(new Uri($"v1/voices/{id}", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, voice.StatusCode);
            Assert.True(File.Exists(Path.Combine(directory, id, "voice.json")) && File.Exists(Path.Combine(directory, id, "reference.wav")), id);
        }

        // Nothing else on disk: no temporary or deleted folders, no folder that is not a listed voice.
        var onDisk = Directory.EnumerateFileSystemEntries(directory).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(listed, onDisk);
    }

    private static MultipartFormDataContent Upload(string name)
    {
        var file = new ByteArrayContent(ProblemMappingTests.Wav(4.0));
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return new MultipartFormDataContent
        {
            { new StringContent(name), "name" },
            { new StringContent("Some words spoken in the clip."), "transcript" },
            { file, "audio", "clip.wav" },
        };
    }

    private static Dictionary<string, string> Environment(string voices, params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string>
        {
            ["F5Tts__Voices__Directory"] = voices,
            ["Serilog__MinimumLevel__Default"] = "Information",
            ["Serilog__MinimumLevel__Override__Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static HttpClient Client(ServiceProcess service) => new() { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromMinutes(15) }; // hang guard, not a speed limit

    private static async Task<bool> ReadyAsync(HttpClient client)
    {
        try
        {
            using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative), Ct);
            return ready.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<double> MetricAsync(HttpClient client, string name) =>
        TtsEndpointTests.MetricValue(await client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct), name);

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Polls a condition (synchronisation with the process, not a timing assertion); gives up after 2 minutes.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private sealed record VoiceList(IReadOnlyList<VoiceEntry> Voices);

    private sealed record VoiceEntry(string Id);
}
