using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>One message the real-time route sent: JSON text, binary audio, or its close.</summary>
public sealed record RealtimeFrame(JsonElement? Json, byte[]? Audio, WebSocketCloseStatus? Close, string? CloseReason)
{
    public string? Type => Json?.GetProperty("type").GetString();
}

/// <summary>A .NET <see cref="ClientWebSocket"/> on <c>/v1/tts/ws</c> of the real host, with JSON helpers.</summary>
public sealed class RealtimeClient : IDisposable
{
    private readonly ClientWebSocket _socket;

    private RealtimeClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketState State => _socket.State;

    public static async Task<RealtimeClient> ConnectAsync(Uri baseAddress, CancellationToken cancellationToken, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        var uri = new UriBuilder(new Uri(baseAddress, "v1/tts/ws")) { Scheme = "ws" }.Uri;
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RealtimeClient(socket);
    }

    public Task SendAsync(object message, CancellationToken cancellationToken) =>
        SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, cancellationToken);

    public async Task SendRawAsync(byte[] data, WebSocketMessageType type, CancellationToken cancellationToken) =>
        await _socket.SendAsync(data, type, endOfMessage: true, cancellationToken);

    /// <summary>The next message (or the close).</summary>
    public async Task<RealtimeFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return result.MessageType switch
        {
            WebSocketMessageType.Close => new RealtimeFrame(null, null, _socket.CloseStatus, _socket.CloseStatusDescription),
            WebSocketMessageType.Binary => new RealtimeFrame(null, message.ToArray(), null, null),
            _ => new RealtimeFrame(JsonDocument.Parse(message.ToArray()).RootElement.Clone(), null, null, null),
        };
    }

    /// <summary>Reads until the server closes: every JSON message, the audio concatenated, and the close code.</summary>
    public async Task<RealtimeSession> ReadToCloseAsync(CancellationToken cancellationToken)
    {
        var session = new RealtimeSession();
        while (true)
        {
            var frame = await ReceiveAsync(cancellationToken);
            if (frame.Close is { } close)
            {
                session.Close = close;
                await CloseAsync(cancellationToken);
                return session;
            }

            session.Add(frame);
        }
    }

    /// <summary>Answers or starts the close handshake.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>What one session received.</summary>
public sealed class RealtimeSession
{
    private readonly List<byte> _audio = [];

    public List<JsonElement> Messages { get; } = [];

    public WebSocketCloseStatus? Close { get; set; }

    public byte[] Audio => [.. _audio];

    public IEnumerable<JsonElement> OfType(string type) => Messages.Where(m => m.GetProperty("type").GetString() == type);

    public void Add(RealtimeFrame frame)
    {
        if (frame.Audio is { } audio)
        {
            _audio.AddRange(audio);
        }
        else if (frame.Json is { } json)
        {
            Messages.Add(json);
        }
    }

    /// <summary>The one error message's problem type (after the URN prefix).</summary>
    public string Problem => OfType("error").Single().GetProperty("problem").GetString()!.Replace("urn:f5tts:problem:", string.Empty, StringComparison.Ordinal);

    public override string ToString() => string.Join("\n", Messages.Select(m => m.GetRawText())) + $"\nclose {Close}";

    /// <summary>UTF-8 bytes of a string (for raw sends).</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
