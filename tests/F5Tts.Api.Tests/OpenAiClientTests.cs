using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The official <c>openai</c> npm client (v6, node 20) against the real host on real Kestrel: speech in wav, pcm, opus
/// and mp3 checked by ffprobe/opusinfo, SSE events parsed by a standard parser, models and voices listed
/// (tests/node/openai.test.mjs). <c>.ci/run</c> installs the node packages with <c>npm ci</c>.
/// </summary>
public sealed class OpenAiClientTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Official_openai_client_creates_speech_in_every_supported_format()
    {
        var node = ExternalTool.Require("node", "nodejs");
        var folder = Path.Combine(RepoPaths.Root, "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "openai")),
            "tests/node/node_modules is missing: run `npm ci` in tests/node (.ci/run does)");
        using var client = _factory.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        var url = _factory.BaseAddress.ToString().TrimEnd('/');
        var result = await ExternalTool.RunAsync(node, ["--test", "--test-reporter=spec", Path.Combine(folder, "openai.test.mjs")],
            null, TimeSpan.FromMinutes(5), Ct, new Dictionary<string, string> { ["F5TTS_URL"] = url });

        Assert.True(result.ExitCode == 0, $"node --test failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.Contains("pass 7", result.StdOut, StringComparison.Ordinal);
    }
}
