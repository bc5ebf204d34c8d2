using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Helpers for tests that synthesise through the real host on the tiny fixture model.</summary>
public static class Speech
{
    /// <summary>Waits until /health/ready says the engine is warm (synchronisation, not a timing assertion).</summary>
    public static Task WaitReadyAsync(HttpClient client, CancellationToken cancellationToken) =>
        PollAsync(client, "health/ready", (status, _) => (int)status is >= 200 and < 300, cancellationToken);

    /// <summary>
    /// GETs <paramref name="path"/> every 50 ms, as an orchestrator polls a probe, until <paramref name="accept"/> holds
    /// for its status and body; returns that body.
    /// </summary>
    public static async Task<string> PollAsync(
        HttpClient client, string path, Func<System.Net.HttpStatusCode, string, bool> accept, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard, not a speed limit
        while (true)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative), timeout.Token);
            string body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (accept(response.StatusCode, body))
            {
                return body;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>POSTs a JSON body to a relative path.</summary>
    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, object body, CancellationToken cancellationToken) =>
        client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body, cancellationToken);

    /// <summary>Reads s16le PCM bytes as samples.</summary>
    public static short[] Pcm16(byte[] bytes)
    {
        var samples = new short[bytes.Length / 2];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 2);
        return samples;
    }

    /// <summary>ffprobe's view of an audio file: codec, rate, channels, duration.</summary>
    public static async Task<(string Codec, int Rate, int Channels, double Duration)> ProbeAsync(byte[] audio, string extension, CancellationToken cancellationToken)
    {
        var ffprobe = ExternalTool.Require("ffprobe", "ffmpeg");
        var path = Path.Combine(Path.GetTempPath(), $"f5tts-{Guid.NewGuid():N}.{extension}");
        await File.WriteAllBytesAsync(path, audio, cancellationToken);
        try
        {
            var result = await ExternalTool.RunAsync(ffprobe,
                ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels:format=duration", "-of", "json", path],
                null, TimeSpan.FromMinutes(2), cancellationToken);
            Assert.True(result.ExitCode == 0, $"ffprobe rejected the {extension}: {result.StdErr}");
            using var json = JsonDocument.Parse(result.StdOut);
            var stream = json.RootElement.GetProperty("streams")[0];
            return (stream.GetProperty("codec_name").GetString()!,
                int.Parse(stream.GetProperty("sample_rate").GetString()!, CultureInfo.InvariantCulture),
                stream.GetProperty("channels").GetInt32(),
                double.Parse(json.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Value of a response header as a number.</summary>
    public static double HeaderNumber(HttpResponseMessage response, string name) =>
        double.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);
}
