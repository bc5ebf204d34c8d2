using System.Buffers.Binary;
using Concentus;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Ogg Opus uploads (RFC 7845: <c>.opus</c> files, and what Firefox's MediaRecorder writes) decoded with Concentus at
/// 48 kHz. Pages are CRC-checked, packets reassembled across pages, <c>pre-skip</c> removed from the start, the end
/// trimmed to the last granule position and the header's output gain applied, as RFC 7845 §4 asks of a player.
/// Channel mapping family 0 (mono, stereo) only. Decoding stops past <c>maxSeconds</c>.
/// </summary>
internal static class OggOpusReader
{
    private const int Rate = 48_000;
    private const int MaxFrameSamples = 5760; // 120 ms at 48 kHz, the longest Opus packet

    public static bool LooksLikeOggOpus(ReadOnlySpan<byte> data) =>
        data.StartsWith("OggS"u8) && data.Length >= 36 && data[28..36].SequenceEqual("OpusHead"u8);

    public static DecodedAudio Decode(byte[] data, double maxSeconds)
    {
        var packets = Packets(data, out long lastGranule);
        if (packets.Count < 2)
        {
            throw Malformed("the stream ends before its audio");
        }

        var (channels, preSkip, gainDb) = Head(packets[0]);
        if (!packets[1].AsSpan().StartsWith("OpusTags"u8))
        {
            throw Malformed("the second packet is not OpusTags");
        }

        long limit = (long)(maxSeconds * Rate) + preSkip;
        var decoder = OpusCodecFactory.CreateDecoder(Rate, channels);
        var pcm = new List<float>();
        var frame = new float[MaxFrameSamples * channels];
        for (int i = 2; i < packets.Count; i++)
        {
            int samples;
            try
            {
                samples = decoder.Decode(packets[i], frame, MaxFrameSamples, false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OpusException)
            {
                throw Malformed($"audio packet {i - 2} does not decode ({ex.Message})");
            }

            pcm.AddRange(frame.AsSpan(0, samples * channels));
            if (pcm.Count / channels > limit)
            {
                throw new AudioRequestException(TtsErrorKind.InvalidInput, "reference-too-long",
                    "The Ogg Opus file is far beyond the reference limit.");
            }
        }

        // The last granule position counts pre-skip plus the samples to play: the rest is encoder padding.
        long frames = pcm.Count / channels;
        long keep = Math.Clamp(lastGranule - preSkip, 0, frames - Math.Min(preSkip, frames));
        if (keep == 0)
        {
            throw Malformed("the stream holds no audio");
        }

        float gain = MathF.Pow(10, gainDb / 20);
        var samplesOut = new float[keep * channels];
        for (long f = 0; f < samplesOut.Length; f++)
        {
            var s = pcm[(int)((preSkip * channels) + f)] * gain;
            samplesOut[f] = float.IsFinite(s) ? s : throw Malformed("it decodes to samples that are not finite");
        }

        return new DecodedAudio(samplesOut, Rate, channels, "ogg/opus");
    }

    private static (int Channels, int PreSkip, float GainDb) Head(byte[] head)
    {
        if (head.Length < 19 || !head.AsSpan().StartsWith("OpusHead"u8) || head[8] >> 4 != 0)
        {
            throw Malformed("OpusHead is missing or of an unknown version");
        }

        int channels = head[9];
        int preSkip = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(10));
        float gainDb = BinaryPrimitives.ReadInt16LittleEndian(head.AsSpan(16)) / 256f;
        if (head[18] != 0 || channels is < 1 or > 2)
        {
            throw AudioRequestException.Unsupported(
                "Unsupported audio: only mono or stereo Ogg Opus (channel mapping family 0) is decoded; send a WAV, MP3 or FLAC file.");
        }

        return (channels, preSkip, gainDb);
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
