using System.Buffers.Binary;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Ogg Opus uploads (RFC 7845: <c>.opus</c> files, and what Firefox's MediaRecorder writes) decoded with Concentus at
/// 48 kHz. Pages are CRC-checked, packets reassembled across pages, <c>pre-skip</c> removed from the start, the end
/// trimmed to the last granule position and the header's output gain applied, as RFC 7845 §4 asks of a player.
/// Channel mapping family 0 (mono, stereo) only. Decoding stops past <c>maxSeconds</c>.
/// </summary>
internal static class OggOpusReader
{
    public static bool LooksLikeOggOpus(ReadOnlySpan<byte> data) =>
        data.StartsWith("OggS"u8) && data.Length >= 36 && data[28..36].SequenceEqual("OpusHead"u8);

    public static DecodedAudio Decode(byte[] data, double maxSeconds)
    {
        var packets = Packets(data, out long lastGranule);
        if (packets.Count < 2)
        {
            throw Malformed("the stream ends before its audio");
        }

        var head = OpusPackets.Head(packets[0]);
        if (!packets[1].AsSpan().StartsWith("OpusTags"u8))
        {
            throw Malformed("the second packet is not OpusTags");
        }

        // The last granule position counts pre-skip plus the samples to play: the rest is encoder padding.
        return OpusPackets.Decode(packets.Skip(2), head, lastGranule - head.PreSkip, maxSeconds, "ogg/opus");
    }

    /// <summary>The packets of the first logical stream, and the granule position of its last page.</summary>
    private static List<byte[]> Packets(byte[] data, out long lastGranule)
    {
        var packets = new List<byte[]>();
        var partial = new List<byte>();
        lastGranule = 0;
        int? serial = null;
        int offset = 0;
        while (offset < data.Length)
        {
            var page = data.AsSpan(offset);
            if (page.Length < 27 || !page.StartsWith("OggS"u8) || page[4] != 0)
            {
                throw Malformed($"no Ogg page at byte {offset}");
            }

            int segments = page[26];
            if (page.Length < 27 + segments)
            {
                throw Malformed("a page header is cut off");
            }

            int bodyLength = 0;
            foreach (var lace in page.Slice(27, segments))
            {
                bodyLength += lace;
            }

            int pageLength = 27 + segments + bodyLength;
            if (page.Length < pageLength)
            {
                throw Malformed("the last page is cut off");
            }

            CheckCrc(page[..pageLength], offset);
            int pageSerial = BinaryPrimitives.ReadInt32LittleEndian(page[14..]);
            serial ??= pageSerial;
            if (pageSerial == serial)
            {
                long granule = BinaryPrimitives.ReadInt64LittleEndian(page[6..]);
                lastGranule = granule >= 0 ? granule : lastGranule; // -1: no packet ends on this page
                Collect(page.Slice(27, segments), page.Slice(27 + segments, bodyLength), partial, packets);
            }

            offset += pageLength;
        }

        return packets;
    }

    private static void Collect(ReadOnlySpan<byte> lacing, ReadOnlySpan<byte> body, List<byte> partial, List<byte[]> packets)
    {
        int at = 0;
        foreach (var lace in lacing)
        {
            partial.AddRange(body.Slice(at, lace));
            at += lace;
            if (lace < 255)
            {
                packets.Add([.. partial]);
                partial.Clear();
            }
        }
    }

    private static void CheckCrc(ReadOnlySpan<byte> page, int offset)
    {
        var copy = page.ToArray();
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(22));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(22), 0);
        if (OggPageWriter.Crc(copy) != stored)
        {
            throw Malformed($"the page at byte {offset} fails its CRC");
        }
    }

    private static AudioRequestException Malformed(string why) => AudioRequestException.Malformed($"Invalid Ogg Opus: {why}.");
}
