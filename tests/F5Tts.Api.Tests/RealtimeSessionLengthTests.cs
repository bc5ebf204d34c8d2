using System.Net.WebSockets;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>A session that reaches F5Tts:Realtime:MaxSessionSeconds gets <c>session-expired</c> and close 1008.</summary>
public sealed class RealtimeSessionLengthTests : IDisposable
{
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Realtime:MaxSessionSeconds"] = "1",
        ["F5Tts:Realtime:IdleTimeoutSeconds"] = "600",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_session_past_its_maximum_length_is_closed_with_session_expired()
    {
        using var http = _factory.CreateSocketClient();
        await Speech.WaitReadyAsync(http, Ct);
        using var client = await RealtimeClient.ConnectAsync(_factory.BaseAddress, Ct);
        await client.SendAsync(new { type = "start" }, Ct);
        var session = await client.ReadToCloseAsync(Ct); // the test only waits for the server's own close
        Assert.Equal("session-expired", session.Problem);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, session.Close);
    }
}
