using System.Net;
using System.Net.WebSockets;
using F5Tts.Api.Realtime;
using F5Tts.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// Every bad input and limit of the real-time route, each answered with an <c>error</c> message naming its problem type
/// and then the documented close code (docs/realtime.md "Close codes"), with the .NET <see cref="ClientWebSocket"/>
/// on real Kestrel. The limits are small here so that a test reaches each one.
/// </summary>
public sealed class RealtimeInputTests(RealtimeInputTests.Host host) : IClassFixture<RealtimeInputTests.Host>
{
    public sealed class Host() : F5TtsApiFactory(new()
    {
        ["F5Tts:Realtime:MaxSessions"] = "1",
        ["F5Tts:Realtime:MaxMessageBytes"] = "256",
        ["F5Tts:Realtime:MaxSessionCharacters"] = "100",
        ["F5Tts:Realtime:IdleTimeoutSeconds"] = "1",
        ["F5Tts:Realtime:MaxWaitMilliseconds"] = "0",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, int> BadMessages => new()
    {
        { "not json at all", "malformed-json", 1007 },
        { "[1, 2, 3]", "malformed-json", 1007 },
        { """{"type":"start","nfe_steps":"eight"}""", "malformed-json", 1007 },
        { """{"type":"shout","text":"hi"}""", "protocol-error", 1008 },
        { """{"type":"text","text":"Text before start."}""", "protocol-error", 1008 },
        { """{"type":"end"}""", "protocol-error", 1008 },
        { """{"type":"start","voice":"nobody-by-this-name"}""", "voice-not-found", 1008 },
        { """{"type":"start","format":"flac"}""", "invalid-input", 1008 },
        { """{"type":"start","nfe_steps":0}""", "invalid-input", 1008 },
        { "{\"type\":\"text\",\"text\":\"" + new string('a', 300) + "\"}", "payload-too-large", 1009 },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task A_bad_first_message_gets_an_error_and_the_documented_close_code(string message, string problem, int closeCode)
    {
        var session = await RunAsync(async client => await client.SendRawAsync(RealtimeSession.Utf8(message), WebSocketMessageType.Text, Ct));
        Assert.True(session.OfType("error").Count() == 1, session.ToString());
        Assert.Equal(problem, session.Problem);
        Assert.Equal((WebSocketCloseStatus)closeCode, session.Close);
        Assert.Equal(closeCode, session.OfType("error").Single().GetProperty("close_code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(session.OfType("error").Single().GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task A_binary_message_from_the_client_is_refused_with_1003()
    {
        var session = await RunAsync(async client =>
        {
            await client.SendAsync(new { type = "start" }, Ct);
            await client.SendRawAsync([1, 2, 3, 4], WebSocketMessageType.Binary, Ct);
        });
        Assert.Equal("protocol-error", session.Problem);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, session.Close);
    }

    [Fact]
    public async Task A_second_start_and_text_after_end_are_protocol_errors()
    {
        var twice = await RunAsync(async client =>
        {
            await client.SendAsync(new { type = "start" }, Ct);
            await client.SendAsync(new { type = "start" }, Ct);
        });
        Assert.Equal("protocol-error", twice.Problem);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, twice.Close);

        var afterEnd = await RunAsync(async client =>
        {
            await client.SendAsync(new { type = "start" }, Ct);
            await client.SendAsync(new { type = "end" }, Ct);
            await client.SendAsync(new { type = "text", text = "Too late." }, Ct);
        });
        // The end with no text may complete (done, 1000) before the late text is read; if the text is read first, it is refused.
        Assert.True(afterEnd.Close == WebSocketCloseStatus.NormalClosure
            || (afterEnd.Problem == "protocol-error" && afterEnd.Close == WebSocketCloseStatus.PolicyViolation), afterEnd.ToString());
    }

    [Fact]
    public async Task More_text_than_a_session_may_send_is_refused_with_1008()
    {
        var session = await RunAsync(async client =>
        {
            await client.SendAsync(new { type = "start" }, Ct);
            for (var i = 0; i < 3; i++)
            {
                await client.SendAsync(new { type = "text", text = new string('x', 40) + " " }, Ct); // 123 > 100 characters
            }
        });
        Assert.Equal("payload-too-large", session.Problem);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, session.Close);
    }

    [Fact]
    public async Task A_silent_client_is_closed_after_the_idle_timeout()
    {
        // Nothing is sent after start: the server closes on its own (the test only waits for that close).
        var session = await RunAsync(client => client.SendAsync(new { type = "start" }, Ct));
        Assert.Equal("idle-timeout", session.Problem);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, session.Close);
    }

    [Fact]
    public async Task A_session_over_the_limit_is_closed_with_1013_and_the_slot_is_reused_once_free()
    {
        await SlotFreeAsync();
        using (var holder = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct))
        {
            await holder.SendAsync(new { type = "start" }, Ct);
            Assert.Equal("started", (await holder.ReceiveAsync(Ct)).Type); // the one slot is taken

            using var refused = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct);
            var session = await refused.ReadToCloseAsync(Ct);
            Assert.Equal("too-many-sessions", session.Problem);
            Assert.Equal((WebSocketCloseStatus)1013, session.Close);
            await holder.SendAsync(new { type = "end" }, Ct);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, (await holder.ReadToCloseAsync(Ct)).Close);
        }
    }

    [Fact]
    public async Task A_plain_GET_describes_the_protocol_and_its_limits()
    {
        using var http = host.CreateSocketClient();
        using var response = await http.GetAsync(new Uri("v1/tts/ws", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"maxMessageBytes\":256", body, StringComparison.Ordinal);
        Assert.Contains("\"opus\"", body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Waits until the service is ready and the previous test's session has ended on the server side too (its slot is
    /// given back just after the close handshake the client saw): a condition, bounded so a leak fails.
    /// </summary>
    private async Task SlotFreeAsync()
    {
        using var http = host.CreateSocketClient();
        await Speech.WaitReadyAsync(http, Ct);
        var sessions = host.Services.GetRequiredService<RealtimeSessions>();
        for (var i = 0; i < 6_000 && sessions.Open > 0; i++)
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal(0, sessions.Open);
    }

    /// <summary>Connects (once the single slot is free), runs <paramref name="send"/>, then reads to the server's close.</summary>
    private async Task<RealtimeSession> RunAsync(Func<RealtimeClient, Task> send)
    {
        await SlotFreeAsync();
        using var client = await RealtimeClient.ConnectAsync(host.BaseAddress, Ct);
        await send(client);
        var session = await client.ReadToCloseAsync(Ct);
        return session;
    }
}
