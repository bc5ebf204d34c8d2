using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The real-time route with the <c>ws</c> npm package (node 20) through the example client tests/node/realtime-client.mjs,
/// against the real host on real Kestrel (tests/node/realtime.test.mjs): tokens sent with delays get audio before the
/// end, one streamed segment equals the whole /v1/tts response within 1 LSB, a close mid-stream frees the only session
/// slot, and each bad input gets its error and close code. <c>.ci/run</c> installs the node packages with <c>npm ci</c>.
/// </summary>
public sealed class RealtimeNodeClientTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Realtime:MaxSessions"] = "1",
        ["F5Tts:Realtime:MaxWaitMilliseconds"] = "0",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task The_ws_npm_client_streams_speech_and_gets_every_documented_error()
    {
        var node = ExternalTool.Require("node", "nodejs");
        var folder = Path.Combine(RepoPaths.Root, "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "ws")),
            "tests/node/node_modules is missing: run `npm ci` in tests/node (.ci/run does)");
        using var client = _factory.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        var url = _factory.BaseAddress.ToString().TrimEnd('/');
        var result = await ExternalTool.RunAsync(node, ["--test", "--test-concurrency=1", "--test-reporter=spec", Path.Combine(folder, "realtime.test.mjs")],
            null, TimeSpan.FromMinutes(5), Ct, new Dictionary<string, string> { ["F5TTS_URL"] = url });

        Assert.True(result.ExitCode == 0, $"node --test failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.Contains("pass 8", result.StdOut, StringComparison.Ordinal);
    }
}
