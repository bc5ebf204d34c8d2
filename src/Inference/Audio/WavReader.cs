using System.Buffers.Binary;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Strict RIFF/WAVE parser for uploads: PCM 8/16/24/32-bit, IEEE float 32/64 and WAVE_FORMAT_EXTENSIBLE with either
/// sub-format, any rate in [1 kHz, 768 kHz] and 1–32 channels. Every size field is checked against the bytes that
/// are really there, so truncated files, lying RIFF/chunk sizes and absurd headers are refused with a message
/// instead of being read past the end or allocated blindly. Streaming writers' "unknown length" sentinels
/// (RIFF or data size 0 or 0xFFFFFFFF) are accepted and mean "up to the end of the upload".
/// </summary>
internal static class WavReader
{
    private const ushort FormatPcm = 1;
    private const ushort FormatFloat = 3;
    private const ushort FormatExtensible = 0xFFFE;
    private const int MinRate = 1_000;
    private const int MaxRate = 768_000;
    private const int MaxChannels = 32;

    // KSDATAFORMAT_SUBTYPE_* GUIDs share this tail after the 16-bit format tag (bytes 2..15).
    private static ReadOnlySpan<byte> SubFormatTail =>
        [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    public static bool LooksLikeWav(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && (data[..4].SequenceEqual("RIFF"u8) || data[..4].SequenceEqual("RF64"u8));

    /// <summary>Parses and converts to float. <paramref name="maxFrames"/> bounds the allocation.</summary>
    public static DecodedAudio Decode(ReadOnlySpan<byte> data, long maxFrames)
    {
        if (data.Length >= 4 && data[..4].SequenceEqual("RF64"u8))
        {
            throw AudioRequestException.Unsupported("RF64 (64-bit WAV) is not supported; send a standard WAV or MP3.");
        }

        if (data.Length < 12 || !data[..4].SequenceEqual("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw AudioRequestException.Malformed("Not a valid WAV file: the RIFF/WAVE header is missing or truncated.");
        }

        uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        bool unknownLength = riffSize is 0 or uint.MaxValue;
        long end;
        if (unknownLength)
        {
            end = data.Length;
        }
        else if (riffSize < 4 || riffSize + 8L > data.Length)
        {
            throw AudioRequestException.Malformed(
                $"Invalid WAV: the RIFF header declares {riffSize + 8L} bytes but the upload has {data.Length} " +
                "(truncated or corrupt file).");
        }
        else
        {
            end = riffSize + 8L; // bytes after the RIFF extent (some tools append tags) are ignored
        }

        Format? format = null;
        long pos = 12;
        while (pos + 8 <= end)
        {
            var id = data.Slice((int)pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[((int)pos + 4)..]);
            long bodyStart = pos + 8;
            long remaining = end - bodyStart;
            bool isData = id.SequenceEqual("data"u8);
            if (isData && (size == uint.MaxValue || (size == 0 && unknownLength)))
            {
                size = (uint)Math.Min(remaining, uint.MaxValue - 1);
            }

            if (size > remaining)
            {
                throw AudioRequestException.Malformed(
                    $"Invalid WAV: chunk '{ChunkName(id)}' declares {size} bytes but only {remaining} remain " +
                    "(truncated or corrupt file).");
            }

            var body = data.Slice((int)bodyStart, (int)size);
            if (id.SequenceEqual("fmt "u8))
            {
                format = ParseFormat(body);
            }
            else if (isData)
            {
                if (format is null)
                {
                    throw AudioRequestException.Malformed("Invalid WAV: the 'data' chunk comes before the 'fmt ' chunk.");
                }

                return Convert(body, format.Value, maxFrames);
            }

            pos = bodyStart + size + (size & 1); // chunks are word-aligned
        }

        throw AudioRequestException.Malformed(
            format is null ? "Invalid WAV: no 'fmt ' chunk." : "Invalid WAV: no 'data' chunk (truncated file?).");
    }

    private static Format ParseFormat(ReadOnlySpan<byte> body)
    {
        if (body.Length < 16)
        {
            throw AudioRequestException.Malformed($"Invalid WAV: the 'fmt ' chunk is {body.Length} bytes (at least 16 required).");
        }

        ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(body);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
        uint rate = BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(body[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);

        if (tag == FormatExtensible)
        {
            if (body.Length < 40)
            {
                throw AudioRequestException.Malformed("Invalid WAV: WAVE_FORMAT_EXTENSIBLE header shorter than 40 bytes.");
            }

            var guid = body.Slice(24, 16);
            if (!guid[2..].SequenceEqual(SubFormatTail))
            {
                throw AudioRequestException.Unsupported("Unsupported WAV sub-format (only PCM and IEEE float are decoded).");
            }

            tag = BinaryPrimitives.ReadUInt16LittleEndian(guid);
        }

        if (channels == 0)
        {
            throw AudioRequestException.Malformed("Invalid WAV: the header declares zero channels.");
        }

        if (channels > MaxChannels)
        {
            throw AudioRequestException.Malformed($"Invalid WAV: {channels} channels (at most {MaxChannels} supported).");
        }

        if (rate is < MinRate or > MaxRate)
        {
            throw AudioRequestException.Malformed($"Invalid WAV: sample rate {rate} Hz is outside [{MinRate}, {MaxRate}] Hz.");
        }

        var kind = (tag, bits) switch
        {
            (FormatPcm, 8) => SampleKind.U8,
            (FormatPcm, 16) => SampleKind.S16,
            (FormatPcm, 24) => SampleKind.S24,
            (FormatPcm, 32) => SampleKind.S32,
            (FormatFloat, 32) => SampleKind.F32,
            (FormatFloat, 64) => SampleKind.F64,
            (FormatPcm or FormatFloat, _) => throw AudioRequestException.Malformed(
                $"Invalid WAV: {bits} bits per sample is not valid for {(tag == FormatPcm ? "PCM" : "IEEE float")}."),
            _ => throw AudioRequestException.Unsupported(
                $"Unsupported WAV encoding (format tag 0x{tag:X4}); send PCM or IEEE float WAV, or MP3."),
        };

        int bytesPerSample = bits / 8;
        if (blockAlign != channels * bytesPerSample)
        {
            throw AudioRequestException.Malformed(
                $"Invalid WAV: block align {blockAlign} does not match {channels} channel(s) × {bytesPerSample} bytes.");
        }

        return new Format(kind, channels, (int)rate, blockAlign, bits);
    }

    private static DecodedAudio Convert(ReadOnlySpan<byte> body, Format f, long maxFrames)
    {
        long frames = body.Length / f.BlockAlign; // a partial last frame is dropped
        if (frames == 0)
        {
            throw AudioRequestException.Malformed("Invalid WAV: the 'data' chunk holds no complete sample frame.");
        }

        if (frames > maxFrames)
        {
            throw new AudioRequestException(
                TtsErrorKind.InvalidInput,
                "reference-too-long",
                $"The WAV file is {(double)frames / f.Rate:F1} s long, far beyond the reference limit.");
        }

        int n = (int)(frames * f.Channels);
        var samples = new float[n];
        switch (f.Kind)
        {
            case SampleKind.U8:
                for (int i = 0; i < n; i++)
                {
                    samples[i] = (body[i] - 128) / 128f;
                }

                break;
            case SampleKind.S16:
                for (int i = 0; i < n; i++)
                {
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(body[(2 * i)..]) / 32768f;
                }

                break;
            case SampleKind.S24:
                for (int i = 0; i < n; i++)
                {
                    int o = 3 * i;
                    int v = body[o] | (body[o + 1] << 8) | ((sbyte)body[o + 2] << 16);
                    samples[i] = v / 8388608f;
                }

                break;
            case SampleKind.S32:
                for (int i = 0; i < n; i++)
                {
                    samples[i] = (float)(BinaryPrimitives.ReadInt32LittleEndian(body[(4 * i)..]) / 2147483648.0);
                }

                break;
            case SampleKind.F32:
                for (int i = 0; i < n; i++)
                {
                    samples[i] = CheckFinite(BinaryPrimitives.ReadSingleLittleEndian(body[(4 * i)..]));
                }

                break;
            default:
                for (int i = 0; i < n; i++)
                {
                    samples[i] = CheckFinite((float)BinaryPrimitives.ReadDoubleLittleEndian(body[(8 * i)..]));
                }

                break;
        }

        string name = f.Kind switch
        {
            SampleKind.F32 => "wav/float32",
            SampleKind.F64 => "wav/float64",
            _ => $"wav/pcm{f.Bits}",
        };
        return new DecodedAudio(samples, f.Rate, f.Channels, name);
    }

    private static float CheckFinite(float v) =>
        float.IsFinite(v) ? v : throw AudioRequestException.Malformed("Invalid WAV: float samples contain NaN or infinity.");

    private static string ChunkName(ReadOnlySpan<byte> id)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            c[i] = id[i] is >= 0x20 and < 0x7F ? (char)id[i] : '?';
        }

        return new string(c);
    }

    private enum SampleKind
    {
        U8,
        S16,
        S24,
        S32,
        F32,
        F64,
    }

    private readonly record struct Format(SampleKind Kind, int Channels, int Rate, int BlockAlign, int Bits);
}
