using System.Net.WebSockets;
using F5Tts.Api.Realtime;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Synthesis;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// The real-time route with the .NET <see cref="ClientWebSocket"/> against the real host on real Kestrel and the tiny
/// ONNX model: text sent token by token gets audio before the text has ended, the streamed audio equals a whole
/// synthesis of the same segments, Opus output forms one valid stream, and a client that closes mid-stream frees its
/// session slot and its work. Ordering is shown by what the client received before it sent more, never by time.
/// </summary>
public sealed class RealtimeTests : IDisposable
{
    private const string Paragraph =
        "Hello there, this is the first part of a longer answer. Then the second sentence comes along with a few more " +
        "words in it. And a third one closes the paragraph, so that there is something left to say at the end.";

    // No wait cut: segments depend on the text only, not on how fast this busy machine sends it. One session at a time.
    private readonly F5TtsApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["F5Tts:Realtime:MaxWaitMilliseconds"] = "0",
        ["F5Tts:Realtime:MaxSessions"] = "1",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Tokens_get_audio_before_the_end_and_the_stream_equals_a_whole_synthesis_of_its_segments()
    {
        await WaitReadyAsync();
        using var client = await RealtimeClient.ConnectAsync(_factory.BaseAddress, Ct);
        await client.SendAsync(new { type = "start", voice = "default", format = "pcm", nfe_steps = 8, seed = 42 }, Ct);
        var session = new RealtimeSession();
        session.Add(await client.ReceiveAsync(Ct));
        Assert.Equal("started", session.Messages[0].GetProperty("type").GetString());
        Assert.Equal(24_000, session.Messages[0].GetProperty("sample_rate").GetInt32());

        // "Hello there," is a clause end past the first segment's minimum once the next token shows it ended.
        var tokens = Paragraph.Split(' ').Select((word, i) => i == 0 ? word : " " + word).ToList();
        foreach (var token in tokens.Take(3))
        {
            await client.SendAsync(new { type = "text", text = token }, Ct);
        }

        RealtimeFrame frame;
        do
        {
            frame = await client.ReceiveAsync(Ct);
            Assert.Null(frame.Close);
            session.Add(frame);
        }
        while (frame.Audio is null);

        var first = session.OfType("segment").Single();
        Assert.Equal("Hello there,", first.GetProperty("text").GetString());
        Assert.Equal(0, first.GetProperty("start_s").GetDouble());

        foreach (var token in tokens.Skip(3))
        {
            await client.SendAsync(new { type = "text", text = token }, Ct);
        }

        await client.SendAsync(new { type = "end" }, Ct);
        var rest = await client.ReadToCloseAsync(Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, rest.Close);
        foreach (var m in rest.Messages)
        {
            session.Messages.Add(m);
        }

        var streamed = Speech.Pcm16([.. session.Audio, .. rest.Audio]);
        var segments = session.OfType("segment").Select(s => s.GetProperty("text").GetString()!).ToList();
        Assert.True(segments.Count >= 3, string.Join(" | ", segments));
        Assert.Equal(Paragraph, string.Join(" ", segments));
        var done = session.OfType("done").Single();
        Assert.Equal(segments.Count, done.GetProperty("segments").GetInt32());
        Assert.Equal(streamed.Length / 24_000.0, done.GetProperty("audio_s").GetDouble(), 5);

        // The same segments synthesised whole (all chunks at once, one cross-fade): equal within 1 LSB (batched == alone
        // to < 1e-5 before rounding to 16 bits).
        var tts = _factory.Services.GetRequiredService<TtsService>();
        var whole = await tts.SynthesizeTextSegmentsAsync(new TtsRequest { Text = string.Empty, NfeSteps = 8, Seed = 42 }, segments, Ct);
        var wholeBytes = new byte[whole.Audio.Length * 2];
        Pcm16.Write(whole.Audio, wholeBytes);
        var expected = Speech.Pcm16(wholeBytes);
        Assert.Equal(expected.Length, streamed.Length);
        Assert.True(expected.Zip(streamed, (a, b) => Math.Abs(a - b)).Max() <= 1);
    }

    [Fact]
    public async Task Opus_output_is_one_valid_Ogg_Opus_stream_across_the_binary_messages()
    {
        await WaitReadyAsync();
        using var client = await RealtimeClient.ConnectAsync(_factory.BaseAddress, Ct);
        await client.SendAsync(new { type = "start", format = "opus", nfe_steps = 4, seed = 3 }, Ct);
        await client.SendAsync(new { type = "text", text = "A first short sentence here. And then a second one follows it, " }, Ct);
        await client.SendAsync(new { type = "text", text = "with a clause to finish." }, Ct);
        await client.SendAsync(new { type = "end" }, Ct);
        var session = await client.ReadToCloseAsync(Ct);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, session.Close);
        Assert.Equal(48_000, session.OfType("started").Single().GetProperty("sample_rate").GetInt32());
        Assert.True(session.OfType("segment").Count() >= 2, session.ToString());
        var ogg = session.Audio;
        Assert.Equal("OggS", System.Text.Encoding.ASCII.GetString(ogg, 0, 4));
        var (codec, _, channels, duration) = await Speech.ProbeAsync(ogg, "opus", Ct);
        Assert.Equal("opus", codec);
        Assert.Equal(1, channels);
        var seconds = session.OfType("done").Single().GetProperty("audio_s").GetDouble();
        Assert.True(Math.Abs(duration - seconds) <= 0.03, $"ffprobe {duration} s, done says {seconds} s"); // Opus frames are 20 ms
    }

    [Fact]
    public async Task A_client_that_closes_mid_stream_cancels_its_work_and_frees_its_session_slot()
    {
        await WaitReadyAsync();
        var host = _factory.Services.GetRequiredService<EngineHost>();
        var sessions = _factory.Services.GetRequiredService<RealtimeSessions>();
        using (var leaving = await RealtimeClient.ConnectAsync(_factory.BaseAddress, Ct))
        {
            await leaving.SendAsync(new { type = "start", nfe_steps = 8, seed = 5 }, Ct);
            await leaving.SendAsync(new { type = "text", text = Paragraph + " " + Paragraph }, Ct);
            await leaving.SendAsync(new { type = "flush" }, Ct);
            RealtimeFrame frame;
            do
            {
                frame = await leaving.ReceiveAsync(Ct);
            }
            while (frame.Audio is null);

            await leaving.CloseAsync(Ct); // mid-stream: later segments are queued or running
        }

        // The server side ends the session and cancels its segments; wait for that (bounded), then the slot is free.
        await Eventually(() => sessions.Open == 0 && host.Workers.RunningCount + host.Workers.WaitingCount == 0);
        using var http = _factory.CreateSocketClient();
        var scrape = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);
        var lines = scrape.Split('\n');
        Assert.True(lines.Any(l => l.StartsWith("f5tts_requests_total{", StringComparison.Ordinal)
            && l.Contains("outcome=\"cancelled\"", StringComparison.Ordinal)), string.Join("\n", lines.Where(l => l.StartsWith("f5tts_re", StringComparison.Ordinal))));
        Assert.Contains(lines, l => l.StartsWith("f5tts_realtime_sessions", StringComparison.Ordinal) && l.EndsWith(" 0", StringComparison.Ordinal));

        using var next = await RealtimeClient.ConnectAsync(_factory.BaseAddress, Ct);
        await next.SendAsync(new { type = "start", nfe_steps = 4 }, Ct);
        Assert.Equal("started", (await next.ReceiveAsync(Ct)).Type);
        await next.SendAsync(new { type = "end" }, Ct);
        var ended = await next.ReadToCloseAsync(Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ended.Close);
        Assert.Equal(0, ended.OfType("done").Single().GetProperty("segments").GetInt32());
    }

    private async Task WaitReadyAsync()
    {
        using var http = _factory.CreateSocketClient();
        await Speech.WaitReadyAsync(http, Ct);
    }

    /// <summary>Waits until the server side caught up (a condition, bounded so a bug fails instead of hanging).</summary>
    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 6_000 && !condition(); i++)
        {
            await Task.Delay(20, Ct);
        }

        Assert.True(condition(), "the server did not end the session and its work");
    }
}
