namespace F5Tts.Inference.Audio;

/// <summary>
/// A decoder for a container that the built-in decoders (<see cref="WavReader"/>, <see cref="Mp3Reader"/>) do not
/// read, supplied by another assembly through dependency injection: the FLAC decoder lives with ONNX Runtime in
/// F5Tts.Engines (docs/audio.md "Reference audio input"), which this assembly must not reference.
/// </summary>
public interface IReferenceAudioDecoder
{
    /// <summary>Whether <paramref name="data"/> is this decoder's container (from its magic bytes).</summary>
    bool CanDecode(ReadOnlySpan<byte> data);

    /// <summary>
    /// Decodes <paramref name="data"/>, refusing anything longer than <paramref name="maxSeconds"/> before decoding it.
    /// Throws <see cref="AudioRequestException"/> (400 malformed, 415 unsupported) and nothing else for bad input.
    /// </summary>
    DecodedAudio Decode(byte[] data, double maxSeconds);
}
