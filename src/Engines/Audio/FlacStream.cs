using System.Buffers.Binary;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;

namespace F5Tts.Engines.Audio;

/// <summary>
/// What the service checks of a FLAC file before the native decoder sees it: the STREAMINFO block (rate, channels)
/// and an upper bound on the samples the frames can produce. The bound is the sum of the block sizes of every frame
/// header whose CRC-8 checks out (the decoder skips any other), so a file whose STREAMINFO understates its length, or
/// a tiny file of constant blocks that would expand to gigabytes, is refused before one sample is decoded.
/// </summary>
internal sealed record FlacStream(int SampleRate, int Channels, int BitsPerSample, long MaxFrames)
{
    private static ReadOnlySpan<byte> Magic => "fLaC"u8;

    public static bool LooksLikeFlac(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    /// <summary>Reads the header and bounds the frames; throws <see cref="AudioRequestException"/> (400) when malformed.</summary>
    public static FlacStream Read(ReadOnlySpan<byte> data)
    {
        int offset = Magic.Length;
        int rate = 0, channels = 0, bits = 0;
        for (var last = false; !last;)
        {
            if (offset + 4 > data.Length)
            {
                throw Malformed("the metadata blocks end before the audio frames");
            }

            last = (data[offset] & 0x80) != 0;
            int type = data[offset] & 0x7F;
            int length = (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3];
            offset += 4;
            if (length > data.Length - offset)
            {
                throw Malformed("a metadata block runs past the end of the file");
            }

            if (type == 0)
            {
                (rate, channels, bits) = StreamInfo(data.Slice(offset, length));
            }
            else if (rate == 0)
            {
                throw Malformed("the first metadata block is not STREAMINFO");
            }

            offset += length;
        }

        if (rate == 0)
        {
            throw Malformed("STREAMINFO is missing");
        }

        return new FlacStream(rate, channels, bits, CountFrames(data[offset..]));
    }

    private static (int Rate, int Channels, int Bits) StreamInfo(ReadOnlySpan<byte> block)
    {
        if (block.Length != 34)
        {
            throw Malformed("STREAMINFO is not 34 bytes long");
        }

        // Bytes 10-13: sample rate (20 bits), channels - 1 (3 bits), bits per sample - 1 (5 bits, split).
        uint packed = BinaryPrimitives.ReadUInt32BigEndian(block[10..]);
        int rate = (int)(packed >> 12);
        int channels = (int)((packed >> 9) & 0x7) + 1;
        int bits = (int)((packed >> 4) & 0x1F) + 1;
        if (rate is < 1 or > 768_000 || bits < 4)
        {
            throw Malformed($"STREAMINFO names {rate} Hz at {bits} bits");
        }

        return (rate, channels, bits);
    }

    /// <summary>Sum of the block sizes of all frame headers with a valid CRC-8.</summary>
    private static long CountFrames(ReadOnlySpan<byte> frames)
    {
        long total = 0;
        for (int i = 0; i + 1 < frames.Length; i++)
        {
            if (frames[i] == 0xFF && (frames[i + 1] & 0xFE) == 0xF8 && TryHeader(frames[i..], out var blockSize, out var length))
            {
                total += blockSize;
                i += length - 1;
            }
        }

        return total;
    }

    private static bool TryHeader(ReadOnlySpan<byte> h, out int blockSize, out int length)
    {
        blockSize = 0;
        length = 0;
        if (h.Length < 6)
        {
            return false;
        }

        int sizeCode = h[2] >> 4, rateCode = h[2] & 0xF, channelCode = h[3] >> 4;
        if (sizeCode == 0 || rateCode == 15 || channelCode > 10 || (h[3] & 1) != 0)
        {
            return false;
        }

        // The frame or sample number, coded like UTF-8 in 1-7 bytes.
        int lead = h[4], extra = 0;
        while (extra < 7 && (lead & (0x80 >> extra)) != 0)
        {
            extra++;
        }

        if (extra == 1 || extra == 7 && lead != 0xFE)
        {
            return false;
        }

        int at = 5 + Math.Max(0, extra - 1);
        at += sizeCode switch { 6 => 1, 7 => 2, _ => 0 };
        at += rateCode switch { 12 => 1, 13 or 14 => 2, _ => 0 };
        if (at >= h.Length || Crc8(h[..at]) != h[at])
        {
            return false;
        }

        int sizeAt = 5 + Math.Max(0, extra - 1);
        blockSize = sizeCode switch
        {
            1 => 192,
            <= 5 => 576 << (sizeCode - 2),
            6 => h[sizeAt] + 1,
            7 => ((h[sizeAt] << 8) | h[sizeAt + 1]) + 1,
            _ => 256 << (sizeCode - 8),
        };
        length = at + 1;
        return true;
    }

    private static byte Crc8(ReadOnlySpan<byte> bytes)
    {
        int crc = 0;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80) != 0 ? ((crc << 1) ^ 0x07) & 0xFF : (crc << 1) & 0xFF;
            }
        }

        return (byte)crc;
    }

    internal static AudioRequestException Malformed(string why) =>
        new(TtsErrorKind.InvalidInput, "malformed-audio", $"Invalid FLAC: {why}.");
}
