using System.Buffers.Binary;

namespace F5Tts.Inference.Audio;

/// <summary>
/// WebM (Matroska) with one Opus audio track: what Chromium's MediaRecorder writes (<c>audio/webm;codecs=opus</c>),
/// with unknown-size Segment and Clusters. The EBML tree is walked flat: the master elements that lead to the track
/// header and the blocks are entered (so an unknown size needs no end), every other element is skipped by its size.
/// The Opus packets of SimpleBlocks and Blocks of that track are decoded by <see cref="OpusPackets"/>; the track's
/// <c>CodecPrivate</c> is its <c>OpusHead</c>. Laced blocks are refused (MediaRecorder and ffmpeg do not lace Opus).
/// </summary>
internal static class WebmOpusReader
{
    private const uint EbmlHeader = 0x1A45DFA3;
    private const uint Segment = 0x18538067;
    private const uint Cluster = 0x1F43B675;
    private const uint Tracks = 0x1654AE6B;
    private const uint TrackEntry = 0xAE;
    private const uint TrackNumber = 0xD7;
    private const uint CodecId = 0x86;
    private const uint CodecPrivate = 0x63A2;
    private const uint BlockGroup = 0xA0;
    private const uint Block = 0xA1;
    private const uint SimpleBlock = 0xA3;

    public static bool LooksLikeWebm(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(data) == EbmlHeader;

    public static DecodedAudio Decode(byte[] data, double maxSeconds)
    {
        long? opusTrack = null, entryTrack = null;
        string? entryCodec = null;
        byte[]? entryPrivate = null, opusHead = null;
        var blocks = new List<(long Track, byte[] Payload)>();
        int offset = 0;
        while (offset < data.Length)
        {
            uint id = ReadId(data, ref offset);
            long? size = ReadSize(data, ref offset);
            if (id is Segment or Cluster or Tracks or TrackEntry or BlockGroup)
            {
                if (id == TrackEntry)
                {
                    (entryTrack, entryCodec, entryPrivate) = (null, null, null);
                }

                continue; // entered: its children follow
            }

            if (size is not { } length || length > data.Length - offset)
            {
                throw Malformed($"element 0x{id:X} at byte {offset} runs past the end of the file");
            }

            var body = data.AsSpan(offset, (int)length);
            offset += (int)length;
            switch (id)
            {
                case TrackNumber:
                    entryTrack = ReadUInt(body);
                    break;
                case CodecId:
                    entryCodec = System.Text.Encoding.ASCII.GetString(body);
                    break;
                case CodecPrivate:
                    entryPrivate = body.ToArray();
                    break;
                case SimpleBlock or Block:
                    blocks.Add(BlockPayload(body));
                    break;
            }

            if (opusTrack is null && entryTrack is not null && entryCodec == "A_OPUS" && entryPrivate is not null)
            {
                (opusTrack, opusHead) = (entryTrack, entryPrivate);
            }
        }

        if (opusTrack is null || opusHead is null)
        {
            throw AudioRequestException.Unsupported(
                "Unsupported audio: the WebM file has no Opus audio track; send a WAV, MP3, FLAC or Opus file.");
        }

        var head = OpusPackets.Head(opusHead);
        return OpusPackets.Decode(blocks.Where(b => b.Track == opusTrack).Select(b => b.Payload), head, null, maxSeconds, "webm/opus");
    }

    private static (long Track, byte[] Payload) BlockPayload(ReadOnlySpan<byte> body)
    {
        int at = 0;
        long track = ReadVint(body, ref at, keepMarker: false) ?? throw Malformed("a block has no track number");
        if (body.Length < at + 3)
        {
            throw Malformed("a block is cut off");
        }

        byte flags = body[at + 2];
        if ((flags & 0x06) != 0)
        {
            throw AudioRequestException.Unsupported("Unsupported audio: laced WebM blocks are not decoded; send a WAV, MP3, FLAC or Opus file.");
        }

        return (track, body[(at + 3)..].ToArray());
    }

    private static uint ReadId(byte[] data, ref int offset)
    {
        int start = offset;
        long id = ReadVint(data, ref offset, keepMarker: true) ?? throw Malformed($"no element ID at byte {start}");
        return (uint)id;
    }

    /// <summary>An element size; null for "unknown" (all value bits set).</summary>
    private static long? ReadSize(byte[] data, ref int offset)
    {
        int start = offset;
        if (offset >= data.Length)
        {
            throw Malformed($"an element header is cut off at byte {start}");
        }

        int length = System.Numerics.BitOperations.LeadingZeroCount((uint)data[offset]) - 23;
        long value = ReadVint(data, ref offset, keepMarker: false) ?? throw Malformed($"no element size at byte {start}");
        return value == (1L << (7 * length)) - 1 ? null : value;
    }

    /// <summary>An EBML variable-length integer (1-8 bytes); null when the first byte is 0 or it is cut off.</summary>
    private static long? ReadVint(ReadOnlySpan<byte> data, ref int offset, bool keepMarker)
    {
        if (offset >= data.Length || data[offset] == 0)
        {
            return null;
        }

        int length = System.Numerics.BitOperations.LeadingZeroCount((uint)data[offset]) - 23;
        if (offset + length > data.Length)
        {
            return null;
        }

        long value = keepMarker ? data[offset] : data[offset] & (0xFF >> length);
        for (int i = 1; i < length; i++)
        {
            value = (value << 8) | data[offset + i];
        }

        offset += length;
        return value;
    }

    private static long ReadUInt(ReadOnlySpan<byte> body)
    {
        if (body.Length is 0 or > 8)
        {
            throw Malformed("an integer element has a bad size");
        }

        long value = 0;
        foreach (var b in body)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    private static AudioRequestException Malformed(string why) => AudioRequestException.Malformed($"Invalid WebM: {why}.");
}
