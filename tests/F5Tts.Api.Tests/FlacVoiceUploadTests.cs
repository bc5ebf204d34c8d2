using System.Net;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>FLAC voices through the running service (ONNX Runtime Extensions' AudioDecoder behind F5Tts.Engines).</summary>
public sealed class FlacVoiceUploadTests(FlacVoiceUploadTests.Host host) : IClassFixture<FlacVoiceUploadTests.Host>, IDisposable
{
    public sealed class Host : F5TtsApiFactory;

    private readonly string _dir = Directory.CreateTempSubdirectory("f5tts-flac-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_flac_voice_is_stored()
    {
        var flac = Ffmpeg("voice.flac", "-i", Path.Combine(RepoPaths.Root, "voices", "default", "reference.wav"), "-ac", "2", "-ar", "44100");
        using var client = host.CreateSocketClient();

        using var response = await client.PostAsync("v1/voices", VoiceForms.Form(flac, name: "Flac voice"), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var voice = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("flac/16", voice.RootElement.GetProperty("sourceFormat").GetString());
        Assert.InRange(voice.RootElement.GetProperty("durationSeconds").GetDouble(), 3.0, 6.0);
    }

    [Fact]
    public async Task Garbage_and_expanding_flac_are_400_problems()
    {
        byte[] garbage = [.. "fLaC"u8, .. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37))];
        var silence = Ffmpeg("silence.flac", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=600", "-sample_fmt", "s16");
        using var client = host.CreateSocketClient();

        using var bad = await client.PostAsync("v1/voices", VoiceForms.Form(garbage), Ct);
        using var tooLong = await client.PostAsync("v1/voices", VoiceForms.Form(silence), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("urn:f5tts:problem:malformed-audio", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("urn:f5tts:problem:reference-too-long", await tooLong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private byte[] Ffmpeg(string name, params string[] input)
    {
        var path = Path.Combine(_dir, name);
        var result = ExternalTool.Run(ExternalTool.Require("ffmpeg"), ["-v", "error", "-y", .. input, path], TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.StdErr);
        return File.ReadAllBytes(path);
    }
}
