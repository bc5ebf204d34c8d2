using System.Buffers.Binary;
using Concentus;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Opus packets of an Ogg or WebM upload to samples: the <c>OpusHead</c> fields (RFC 7845 §5.1), Concentus decoding at
/// 48 kHz, <c>pre-skip</c> removed, the end trimmed to the container's length when it names one, the output gain
/// applied, and decoding stopped past the length limit.
/// </summary>
internal static class OpusPackets
{
    /// <summary>Opus always decodes at 48 kHz.</summary>
    public const int Rate = 48_000;

    private const int MaxFrameSamples = 5760; // 120 ms at 48 kHz, the longest Opus packet

    /// <summary>The fields of an <c>OpusHead</c> the decoder needs.</summary>
    public readonly record struct OpusHead(int Channels, int PreSkip, float GainDb);

    /// <summary>Parses <c>OpusHead</c>; mono or stereo (channel mapping family 0) only.</summary>
    public static OpusHead Head(ReadOnlySpan<byte> head)
    {
        if (head.Length < 19 || !head.StartsWith("OpusHead"u8) || head[8] >> 4 != 0)
        {
            throw AudioRequestException.Malformed("Invalid Opus: OpusHead is missing or of an unknown version.");
        }

        int channels = head[9];
        if (head[18] != 0 || channels is < 1 or > 2)
        {
            throw AudioRequestException.Unsupported(
                "Unsupported audio: only mono or stereo Opus (channel mapping family 0) is decoded; send a WAV, MP3 or FLAC file.");
        }

        return new OpusHead(channels, BinaryPrimitives.ReadUInt16LittleEndian(head[10..]),
            BinaryPrimitives.ReadInt16LittleEndian(head[16..]) / 256f);
    }

    /// <summary>
    /// Decodes <paramref name="packets"/>; <paramref name="playFrames"/> is the length after pre-skip that the
    /// container names (null: all that decodes).
    /// </summary>
    public static DecodedAudio Decode(IEnumerable<byte[]> packets, OpusHead head, long? playFrames, double maxSeconds, string format)
    {
        int channels = head.Channels;
        long limit = (long)(maxSeconds * Rate) + head.PreSkip;
        var decoder = OpusCodecFactory.CreateDecoder(Rate, channels);
        var pcm = new List<float>();
        var frame = new float[MaxFrameSamples * channels];
        int index = 0;
        foreach (var packet in packets)
        {
            int samples;
            try
            {
                samples = decoder.Decode(packet, frame, MaxFrameSamples, false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OpusException)
            {
                throw AudioRequestException.Malformed($"Invalid Opus: audio packet {index} does not decode ({ex.Message}).");
            }

            index++;
            pcm.AddRange(frame.AsSpan(0, samples * channels));
            if (pcm.Count / channels > limit)
            {
                throw new AudioRequestException(TtsErrorKind.InvalidInput, "reference-too-long",
                    $"The {format} file is far beyond the reference limit.");
            }
        }

        long decoded = (pcm.Count / channels) - head.PreSkip;
        long keep = Math.Min(decoded, playFrames ?? decoded);
        if (keep <= 0)
        {
            throw AudioRequestException.Malformed($"Invalid {format}: the stream holds no audio.");
        }

        float gain = MathF.Pow(10, head.GainDb / 20);
        var samplesOut = new float[keep * channels];
        int start = head.PreSkip * channels;
        for (int i = 0; i < samplesOut.Length; i++)
        {
            var s = pcm[start + i] * gain;
            samplesOut[i] = float.IsFinite(s)
                ? s
                : throw AudioRequestException.Malformed($"Invalid {format}: it decodes to samples that are not finite.");
        }

        return new DecodedAudio(samplesOut, Rate, channels, format);
    }
}
