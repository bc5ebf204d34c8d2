using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Helpers for tests that synthesise through the real host on the tiny fixture model.</summary>
public static class Speech
{
    /// <summary>Waits until /health/ready says the engine is warm (synchronisation, not a timing assertion).</summary>
    public static async Task WaitReadyAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5)); // hang guard, not a speed limit
        while (true)
        {
            using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative), timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return;
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
