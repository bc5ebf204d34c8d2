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
    public Task The_ws_npm_client_streams_speech_and_gets_every_documented_error() =>
        NodeTests.RunAsync(_factory, "realtime.test.mjs", "ws", passes: 8, Ct);
}
