using System.Net;
using System.Net.WebSockets;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// API keys on the real-time route: the usual header on the upgrade, or — for browsers, which cannot set headers on a
/// WebSocket — <c>api_key</c> in the start message; without either the session gets an <c>unauthorized</c> error and
/// close 1008, and a wrong header is refused with 401 before the upgrade.
/// </summary>
public sealed class RealtimeAuthTests(RealtimeAuthTests.Host host) : IClassFixture<RealtimeAuthTests.Host>
{
    private const string Key = "realtime-test-key-0123456789";

    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Auth:ApiKeys:0"] = Key });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_key_the_start_is_refused_with_unauthorized_and_1008()
    {
        using var client = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct);
        await client.SendAsync(new { type = "start" }, Ct);
        var session = await client.ReadToCloseAsync(Ct);
        Assert.Equal("unauthorized", session.Problem);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, session.Close);

        using var wrong = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct);
        await wrong.SendAsync(new { type = "start", api_key = "not-the-key-at-all-000" }, Ct);
        Assert.Equal("unauthorized", (await wrong.ReadToCloseAsync(Ct)).Problem);
    }

    [Fact]
    public async Task A_key_in_start_or_in_the_upgrade_header_opens_the_session()
    {
        using var http = host.CreateSocketClient();
        http.DefaultRequestHeaders.Add("X-Api-Key", Key);
        await Speech.WaitReadyAsync(http, Ct);

        using var browser = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct);
        await browser.SendAsync(new { type = "start", api_key = Key }, Ct);
        Assert.Equal("started", (await browser.ReceiveAsync(Ct)).Type);
        await browser.SendAsync(new { type = "end" }, Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await browser.ReadToCloseAsync(Ct)).Close);

        using var server = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct, o => o.SetRequestHeader("Authorization", $"Bearer {Key}"));
        await server.SendAsync(new { type = "start" }, Ct);
        Assert.Equal("started", (await server.ReceiveAsync(Ct)).Type);
        await server.SendAsync(new { type = "end" }, Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await server.ReadToCloseAsync(Ct)).Close);
    }

    [Fact]
    public async Task A_wrong_key_header_is_refused_with_401_before_the_upgrade()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("X-Api-Key", "wrong-key-wrong-key-wrong");
        var uri = new UriBuilder(new Uri(host.BaseAddress, "v1/tts/ws")) { Scheme = "ws" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }
}
