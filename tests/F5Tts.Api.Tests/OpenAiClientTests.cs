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
    public Task Official_openai_client_creates_speech_in_every_supported_format() =>
        NodeTests.RunAsync(_factory, "openai.test.mjs", "openai", passes: 7, Ct);
}
