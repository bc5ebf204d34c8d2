using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace F5Tts.Api.Realtime;

/// <summary>What a session reacts to: a client message, the client's close, the audio writer ending, the host stopping.</summary>
internal abstract record SessionEvent;

internal sealed record MessageEvent(ClientMessage Message) : SessionEvent;

/// <summary>A message that broke the protocol; the receiver stopped reading.</summary>
internal sealed record ReceiveErrorEvent(SessionError Error) : SessionEvent;

/// <summary>The client closed (or the connection dropped).</summary>
internal sealed record ClientClosedEvent : SessionEvent;

internal sealed record WriterDoneEvent : SessionEvent;

internal sealed record WriterFailedEvent(Exception Error) : SessionEvent;

internal sealed record StoppingEvent : SessionEvent;

/// <summary>
/// The WebSocket of one session: sends are serialised (the audio writer and the session's error path both send), and
/// one receive loop turns client frames into <see cref="SessionEvent"/>s — a message over the size limit, a binary
/// message or one that is not protocol JSON ends it with a <see cref="ReceiveErrorEvent"/>.
/// </summary>
internal sealed class RealtimeSocket(WebSocket socket, int maxMessageBytes) : IDisposable
{
    private readonly SemaphoreSlim _send = new(1, 1);

    public WebSocketState State => socket.State;

    public Task SendJsonAsync(object message, CancellationToken cancellationToken) =>
        SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, cancellationToken);

    public Task SendBinaryAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken) =>
        SendAsync(audio, WebSocketMessageType.Binary, cancellationToken);

    /// <summary>Reads client messages into <paramref name="events"/> until the client closes or breaks the protocol.</summary>
    public async Task ReceiveLoopAsync(ChannelWriter<SessionEvent> events, CancellationToken cancellationToken)
    {
        // One byte over the limit tells a message at the limit from one past it.
        var buffer = ArrayPool<byte>.Shared.Rent(maxMessageBytes + 1);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count > maxMessageBytes)
                    {
                        events.TryWrite(new ReceiveErrorEvent(new SessionError(
                            Errors.ProblemTypes.PayloadTooLarge,
                            $"A message may have at most {maxMessageBytes} bytes (F5Tts:Realtime:MaxMessageBytes).",
                            RealtimeCloseCodes.TooBig, RequestOutcomeReason.ClientError)));
                        return;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count, maxMessageBytes + 1 - count), cancellationToken);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    events.TryWrite(new ClientClosedEvent());
                    return;
                }

                if (count > maxMessageBytes)
                {
                    continue; // reported at the top of the loop
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    events.TryWrite(new ReceiveErrorEvent(SessionError.Binary()));
                    return;
                }

                try
                {
                    events.TryWrite(new MessageEvent(ClientMessage.Parse(buffer.AsMemory(0, count))));
                }
                catch (SessionError error)
                {
                    events.TryWrite(new ReceiveErrorEvent(error));
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            events.TryWrite(new ClientClosedEvent()); // the connection dropped, or the session ended
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends the close frame (if the socket still allows it); the client's answer is read by the receive loop or <see cref="DrainAsync"/>.</summary>
    public async Task CloseAsync(WebSocketCloseStatus code, string reason, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                // The reason is at most 123 bytes (RFC 6455); the error message before it has the full detail.
                await socket.CloseOutputAsync(code, reason.Length > 60 ? reason[..60] : reason, cancellationToken);
            }
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Discards what the client still sends until its close frame arrives (after the receive loop stopped early).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (socket.State == WebSocketState.CloseSent)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    public void Abort() => socket.Abort();

    public void Dispose() => _send.Dispose();

    private async Task SendAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.SendAsync(data, type, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            _send.Release();
        }
    }
}
