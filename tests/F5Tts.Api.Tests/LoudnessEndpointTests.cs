using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// <c>loudness_lufs</c> on <c>/v1/tts</c> and <c>/v1/dub</c> through real Kestrel on the tiny model (its speech is noise,
/// which is as good a signal to normalise as any), measured by ffmpeg's <c>ebur128</c> filter (BS.1770-4 integrated
/// loudness, true peak at 192 kHz): within ±0.5 LU of the target and at or under −1 dBTP. The texts give several
/// seconds of audio, far more than the 400 ms gating blocks need.
/// </summary>
public sealed partial class LoudnessEndpointTests(LoudnessEndpointTests.Host host) : IClassFixture<LoudnessEndpointTests.Host>
{
    public sealed class Host : F5TtsApiFactory;

    private const string Text = "The weather is nice today, and the sun is shining. We could go for a walk in the park this afternoon.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(-16.0)]
    [InlineData(-23.0)]
    [InlineData(-10.0)]
    public async Task Tts_audio_has_the_requested_loudness_under_the_true_peak_ceiling(double target)
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        using var response = await Speech.PostJsonAsync(client, "v1/tts",
            new { text = Text, nfe_steps = 4, seed = 5, loudness_lufs = target }, Ct);

        var (integrated, peak, seconds) = await MeasureAsync(response);
        Assert.True(seconds > 3, $"{seconds} s of audio");
        Assert.InRange(integrated, target - 0.5, target + 0.5);
        Assert.True(peak <= -1.0, $"true peak {peak} dBTP");
    }

    [Fact]
    public async Task A_dubbed_track_with_silence_between_cues_has_the_requested_loudness()
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        const string srt = "1\n00:00:00,500 --> 00:00:03,000\nThe weather is nice today.\n\n2\n00:00:04,000 --> 00:00:07,000\nWe could go for a walk.\n";
        using var response = await Speech.PostJsonAsync(client, "v1/dub",
            new { subtitles = srt, nfe_steps = 4, seed = 6, loudness_lufs = -18.0 }, Ct);

        var (integrated, peak, _) = await MeasureAsync(response);
        Assert.InRange(integrated, -18.5, -17.5);
        Assert.True(peak <= -1.0, $"true peak {peak} dBTP");
    }

    [Theory]
    [InlineData(-60.0, false, "between -50 and -5")]
    [InlineData(0.0, false, "between -50 and -5")]
    [InlineData(-16.0, true, "cannot be combined with streaming")]
    public async Task A_target_out_of_range_or_with_streaming_is_a_400(double target, bool stream, string fragment)
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        using var response = await Speech.PostJsonAsync(client, "v1/tts", new { text = "Hi.", stream, loudness_lufs = target }, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("loudness_lufs", problem.RootElement.GetProperty("parameter").GetString());
        Assert.Contains(fragment, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>ffmpeg's EBU R128 summary of a WAV response: integrated loudness, true peak, and its duration.</summary>
    private static async Task<(double Integrated, double Peak, double Seconds)> MeasureAsync(HttpResponseMessage response)
    {
        var wav = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(wav));
        var ffmpeg = ExternalTool.Require("ffmpeg", "ffmpeg");
        var path = Path.Combine(Path.GetTempPath(), $"f5tts-loudness-{Guid.NewGuid():N}.wav");
        await File.WriteAllBytesAsync(path, wav, Ct);
        try
        {
            var result = await ExternalTool.RunAsync(ffmpeg,
                ["-hide_banner", "-nostats", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"], null, TimeSpan.FromMinutes(2), Ct);
            Assert.True(result.ExitCode == 0, result.StdErr);
            var summary = result.StdErr[result.StdErr.LastIndexOf("Summary:", StringComparison.Ordinal)..];
            var integrated = double.Parse(IntegratedLine().Match(summary).Groups[1].Value, CultureInfo.InvariantCulture);
            var peak = PeakLine().Match(summary).Groups[1].Value;
            var seconds = (await Speech.ProbeAsync(wav, "wav", Ct)).Duration;
            return (integrated, peak == "-inf" ? double.NegativeInfinity : double.Parse(peak, CultureInfo.InvariantCulture), seconds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"I:\s+(-?[0-9.]+) LUFS")]
    private static partial Regex IntegratedLine();

    [GeneratedRegex(@"Peak:\s+(-?[0-9.]+|-inf) dBFS")]
    private static partial Regex PeakLine();
}
