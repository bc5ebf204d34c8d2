using System.Buffers;
using System.Buffers.Binary;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Ogg bitstream framing (RFC 3533) for one logical stream whose packets are each at most 255·254 bytes, so a
/// packet never spans pages. Packets are collected into the current page; <see cref="FlushPageAsync"/> writes it.
/// </summary>
internal sealed class OggPageWriter
{
    private const int MaxSegments = 255;
    private static readonly uint[] CrcTable = BuildCrcTable();

    private readonly Stream _output;
    private readonly uint _serial;
    private readonly List<byte> _segments = new(MaxSegments);
    private readonly ArrayBufferWriter<byte> _body = new(4096);
    private uint _sequence;
    private long _granule;
    private bool _firstPage = true;

    public OggPageWriter(Stream output, uint serial)
    {
        _output = output;
        _serial = serial;
    }

    /// <summary>Packets waiting in the current page.</summary>
    public int PendingPackets { get; private set; }

    /// <summary>Adds a packet; <paramref name="granuleAfter"/> is the stream granule position once it is decoded.
    /// Writes the current page first when the packet would not fit in its 255-entry segment table.</summary>
    public async ValueTask AddPacketAsync(ReadOnlyMemory<byte> packet, long granuleAfter, CancellationToken cancellationToken)
    {
        int segments = (packet.Length / 255) + 1;
        if (segments > MaxSegments)
        {
            throw new ArgumentException("Packet too large for a single Ogg page.", nameof(packet));
        }

        if (_segments.Count + segments > MaxSegments)
        {
            await FlushPageAsync(endOfStream: false, granuleOverride: null, cancellationToken);
        }

        for (int left = packet.Length; ; left -= 255)
        {
            if (left >= 255)
            {
                _segments.Add(255);
            }
            else
            {
                _segments.Add((byte)left); // a final lacing value < 255 (possibly 0) terminates the packet
                break;
            }
        }

        _body.Write(packet.Span);
        _granule = granuleAfter;
        PendingPackets++;
    }

    /// <summary>Writes the pending packets as one page (no-op when none are pending and it is not the last page).</summary>
    public async ValueTask FlushPageAsync(bool endOfStream, long? granuleOverride, CancellationToken cancellationToken)
    {
        if (PendingPackets == 0 && !endOfStream)
        {
            return;
        }

        int headerLength = 27 + _segments.Count;
        var page = new byte[headerLength + _body.WrittenCount];
        "OggS"u8.CopyTo(page);
        page[4] = 0; // version
        page[5] = (byte)((_firstPage ? 0x02 : 0) | (endOfStream ? 0x04 : 0));
        BinaryPrimitives.WriteInt64LittleEndian(page.AsSpan(6), granuleOverride ?? _granule);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(14), _serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), _sequence++);
        page[26] = (byte)_segments.Count;
        for (int i = 0; i < _segments.Count; i++)
        {
            page[27 + i] = _segments[i];
        }

        _body.WrittenSpan.CopyTo(page.AsSpan(headerLength));
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), Crc(page)); // computed with the field zeroed

        _segments.Clear();
        _body.ResetWrittenCount();
        PendingPackets = 0;
        _firstPage = false;
        await _output.WriteAsync(page, cancellationToken);
    }

    /// <summary>Ogg CRC-32: polynomial 0x04C11DB7, MSB first, initial value 0, no final XOR.</summary>
    internal static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (byte b in data)
        {
            crc = (crc << 8) ^ CrcTable[(byte)(crc >> 24) ^ b];
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint r = i << 24;
            for (int k = 0; k < 8; k++)
            {
                r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7u : r << 1;
            }

            table[i] = r;
        }

        return table;
    }
}
