using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.WebUtilities;

namespace F5Tts.Api.Errors;

/// <summary>
/// Gives Kestrel's own rejections a problem+json body. Kestrel answers a request it cannot parse (a <c>%00</c> in the
/// path, a broken request line, limits beyond its own) itself, before any application code runs, with a bare status
/// and <c>Content-Length: 0</c>; nothing in Kestrel lets the application write that body. This connection middleware
/// wraps the connection's output and rewrites exactly those responses into the same status with a problem body whose
/// type is the stable one of the status (<see cref="ProblemTypes.ForStatus"/>).
/// </summary>
/// <remarks>
/// A flushed block is rewritten only when it is one whole response head and nothing else: a 4xx or 5xx status line,
/// <c>Content-Length: 0</c> and <c>Connection: close</c>, ending with the blank line. That is the shape of Kestrel's
/// rejections (it always closes the connection after one); the application never sends it, because every error it
/// sends has a problem body. Because the connection closes after such a response, adding a body can never shift the
/// framing of a later response on a keep-alive or pipelined connection. Everything else passes through unchanged.
/// Plain HTTP/1.1 only: under TLS the bytes seen here are encrypted and HTTP/2 has no status line, so both pass through.
/// </remarks>
internal static class KestrelRejectionBodies
{
    /// <summary>Kestrel's rejection heads are about 120 bytes (status, Content-Length, Connection, Date, Server).</summary>
    internal const int MaxHeadBytes = 512;

    private static readonly byte[] StatusLinePrefix = "HTTP/1.1 "u8.ToArray();
    private static readonly byte[] EmptyLength = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] ConnectionClose = "\r\nConnection: close\r\n"u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Wraps the transport of every connection of <paramref name="builder"/> (a Kestrel listen endpoint).</summary>
    public static IConnectionBuilder UseKestrelRejectionBodies(this IConnectionBuilder builder) =>
        builder.Use(next => async connection =>
        {
            var transport = connection.Transport;
            connection.Transport = new DuplexPipe(transport.Input, new RewritingWriter(transport.Output));
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = transport;
            }
        });

    /// <summary>
    /// The rewritten response for <paramref name="head"/> when it is a Kestrel rejection head, else <c>null</c>.
    /// </summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> head)
    {
        if (!head.StartsWith(StatusLinePrefix) || head.Length < StatusLinePrefix.Length + 3 || !head.EndsWith(HeadEnd)
            || head.IndexOf(ConnectionClose) < 0)
        {
            return null;
        }

        int status = ParseStatus(head.Slice(StatusLinePrefix.Length, 3));
        int emptyLength = head.IndexOf(EmptyLength);
        if (status < 400 || status > 599 || emptyLength < 0)
        {
            return null;
        }

        var body = Body(status);
        var header = Encoding.ASCII.GetBytes($"\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length}\r\n");

        // The head with its "Content-Length: 0" line replaced by the content type and the real length, then the body.
        var rewritten = new byte[head.Length - EmptyLength.Length + header.Length + body.Length];
        var output = rewritten.AsSpan();
        head[..emptyLength].CopyTo(output);
        output = output[emptyLength..];
        header.CopyTo(output);
        output = output[header.Length..];
        head[(emptyLength + EmptyLength.Length)..].CopyTo(output);
        output = output[(head.Length - emptyLength - EmptyLength.Length)..];
        body.CopyTo(output);
        return rewritten;
    }

    private static byte[] Body(int status)
    {
        var body = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("type", ProblemTypes.ForStatus(status));
            json.WriteString("title", ReasonPhrases.GetReasonPhrase(status));
            json.WriteNumber("status", status);
            json.WriteString("detail", Detail(status));
            json.WriteEndObject();
        }

        return body.WrittenSpan.ToArray();
    }

    private static int ParseStatus(ReadOnlySpan<byte> digits)
    {
        int status = 0;
        foreach (byte digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return 0;
            }

            status = (status * 10) + (digit - '0');
        }

        return status;
    }

    private static string Detail(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The server could not parse the request (request line, target or headers).",
        StatusCodes.Status408RequestTimeout => "The request headers or body did not arrive in time.",
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than the server accepts.",
        StatusCodes.Status414UriTooLong => "The request line is longer than the server accepts.",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "The request headers are larger than the server accepts.",
        _ => "The server rejected the request before it reached the service.",
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Passes writes through to the transport, except the first write after each flush: that one goes into a small
    /// buffer of its own, so that a whole rejection head can be inspected (and replaced) before the transport sees
    /// it. A write that outgrows the buffer, or a flush of anything that is not a rejection head, copies the buffered
    /// bytes to the transport once and passes through again. Cost on ordinary traffic: one copy of at most
    /// <see cref="MaxHeadBytes"/> bytes per flush.
    /// </summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly byte[] _buffer = new byte[MaxHeadBytes];
        private int _buffered;

        // True from a flush until the first write that cannot be buffered: writes go to _buffer meanwhile.
        private bool _sniffing = true;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes + _buffered;

        public override void Advance(int bytes)
        {
            if (_sniffing)
            {
                _buffered += bytes;
            }
            else
            {
                inner.Advance(bytes);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (_sniffing && _buffered + Math.Max(sizeHint, 1) <= _buffer.Length)
            {
                return _buffer.AsMemory(_buffered);
            }

            PassThrough();
            return inner.GetMemory(sizeHint);
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (_buffered > 0)
            {
                if (Rewrite(_buffer.AsSpan(0, _buffered)) is { } rewritten)
                {
                    inner.Write(rewritten);
                    _buffered = 0;
                }
                else
                {
                    PassThrough();
                }
            }

            _sniffing = true;
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            PassThrough();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            PassThrough();
            return inner.CompleteAsync(exception);
        }

        /// <summary>Hands the buffered bytes to the transport and stops buffering until the next flush.</summary>
        private void PassThrough()
        {
            if (_buffered > 0)
            {
                inner.Write(_buffer.AsSpan(0, _buffered));
                _buffered = 0;
            }

            _sniffing = false;
        }
    }
}
