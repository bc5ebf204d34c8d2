using NLayer;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>MP3 (MPEG-1/2 layer I–III) decoding with NLayer (pure managed, no ffmpeg).</summary>
internal static class Mp3Reader
{
    public static bool LooksLikeMp3(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[..3].SequenceEqual("ID3"u8))
        {
            return true;
        }

        // MPEG audio frame sync: 11 set bits, a valid version (not "reserved") and a valid layer.
        return data.Length >= 4 && data[0] == 0xFF && (data[1] & 0xE0) == 0xE0 &&
               ((data[1] >> 3) & 0x3) != 1 && ((data[1] >> 1) & 0x3) != 0;
    }

    public static DecodedAudio Decode(byte[] data, double maxSeconds)
    {
        try
        {
            using var stream = new MemoryStream(data, writable: false);
            using var mpeg = new MpegFile(stream);
            int rate = mpeg.SampleRate;
            int channels = mpeg.Channels;
            if (rate <= 0 || channels <= 0)
            {
                throw AudioRequestException.Malformed("Invalid MP3: no decodable audio frame found.");
            }

            long maxSamples = (long)(maxSeconds * rate * channels);
            var output = new List<float>(capacity: (int)Math.Min(maxSamples, 1 << 20));
            var buffer = new float[4608 * channels];
            int read;
            while ((read = mpeg.ReadSamples(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Count + read > maxSamples)
                {
                    throw new AudioRequestException(
                        TtsErrorKind.InvalidInput,
                        "reference-too-long",
                        $"The MP3 file is longer than {maxSeconds:F0} s, far beyond the reference limit.");
                }

                output.AddRange(buffer.AsSpan(0, read));
            }

            int usable = output.Count - (output.Count % channels);
            if (usable == 0)
            {
                throw AudioRequestException.Malformed("Invalid MP3: no decodable audio frame found.");
            }

            return new DecodedAudio(output.GetRange(0, usable).ToArray(), rate, channels, "mp3");
        }
        catch (AudioRequestException)
        {
            throw;
        }
        catch (Exception ex) when (ex is InvalidDataException or IndexOutOfRangeException or ArgumentException
                                       or InvalidOperationException or EndOfStreamException or IOException
                                       or NullReferenceException or OverflowException)
        {
            // NLayer signals corrupt streams with assorted exception types; none of them is a server fault.
            throw AudioRequestException.Malformed("Invalid MP3: the stream could not be decoded.");
        }
    }
}
