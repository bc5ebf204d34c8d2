namespace F5Tts.Inference.Audio;

/// <summary>Detects the container from its magic bytes and decodes WAV, MP3, Ogg Opus and WebM Opus uploads (FLAC through <see cref="IReferenceAudioDecoder"/>).</summary>
public static class AudioDecoder
{
    /// <summary>
    /// Decodes <paramref name="data"/> (WAV in any PCM/float layout, MP3, Ogg Opus, WebM Opus). Refuses anything longer than
    /// <paramref name="maxSeconds"/> before allocating it. Throws <see cref="AudioRequestException"/> for malformed
    /// (400) or unsupported (415) input.
    /// </summary>
    public static DecodedAudio Decode(byte[] data, double maxSeconds) => Decode(data, maxSeconds, []);

    /// <summary>
    /// As <see cref="Decode(byte[], double)"/>, and also the containers of <paramref name="others"/> (FLAC through
    /// ONNX Runtime Extensions when F5Tts.Engines registers it).
    /// </summary>
    public static DecodedAudio Decode(byte[] data, double maxSeconds, IReadOnlyList<IReferenceAudioDecoder> others)
    {
        ArgumentNullException.ThrowIfNull(others);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0)
        {
            throw AudioRequestException.Malformed("The audio upload is empty.");
        }

        if (WavReader.LooksLikeWav(data))
        {
            // Worst case rate (768 kHz) bounds the allocation; the conditioner applies the real duration limit.
            return WavReader.Decode(data, maxFrames: (long)(maxSeconds * 768_000));
        }

        if (Mp3Reader.LooksLikeMp3(data))
        {
            return Mp3Reader.Decode(data, maxSeconds);
        }

        if (OggOpusReader.LooksLikeOggOpus(data))
        {
            return OggOpusReader.Decode(data, maxSeconds);
        }

        if (WebmOpusReader.LooksLikeWebm(data))
        {
            return WebmOpusReader.Decode(data, maxSeconds);
        }

        foreach (var other in others)
        {
            if (other.CanDecode(data))
            {
                return other.Decode(data, maxSeconds);
            }
        }

        throw AudioRequestException.Unsupported(Describe(data));
    }

    private static string Describe(ReadOnlySpan<byte> data)
    {
        string? known = data switch
        {
            _ when data.StartsWith("OggS"u8) => "Ogg other than Opus (e.g. Vorbis)",
            _ when data.StartsWith("fLaC"u8) => "FLAC",
            _ when data.Length >= 8 && data[4..8].SequenceEqual("ftyp"u8) => "MP4/M4A",
            _ => null,
        };
        return known is null
            ? "Unsupported audio: the upload is not a WAV (RIFF/WAVE), MP3, FLAC, Ogg Opus or WebM Opus file."
            : $"Unsupported audio: {known} is not decoded; send a WAV (PCM or float), MP3, FLAC or Opus (Ogg, WebM) file.";
    }
}
