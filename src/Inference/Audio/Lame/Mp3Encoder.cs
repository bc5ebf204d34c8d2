namespace F5Tts.Inference.Audio.Lame;

/// <summary>
/// Streaming MP3 encoder (mono, constant bit rate) over libmp3lame. Each call returns the MP3 bytes that are
/// complete so far, so a response can be streamed; <see cref="Flush"/> returns the rest (LAME holds back up to
/// about one frame plus its look-ahead).
/// </summary>
internal sealed class Mp3Encoder : IDisposable
{
    private readonly LameHandle _lame;
    private byte[] _buffer = new byte[16 * 1024];

    /// <param name="sampleRate">Input and output sample rate (an MPEG rate: 8–48 kHz).</param>
    /// <param name="bitRateKbps">Constant bit rate.</param>
    public Mp3Encoder(int sampleRate, int bitRateKbps = 128)
    {
        _lame = LameNative.Init();
        if (_lame.IsInvalid)
        {
            throw new InvalidOperationException("lame_init failed.");
        }

        Check(LameNative.SetInSampleRate(_lame, sampleRate), "lame_set_in_samplerate");
        Check(LameNative.SetOutSampleRate(_lame, sampleRate), "lame_set_out_samplerate");
        Check(LameNative.SetNumChannels(_lame, 1), "lame_set_num_channels");
        Check(LameNative.SetMode(_lame, LameNative.ModeMono), "lame_set_mode");
        Check(LameNative.SetBitRate(_lame, bitRateKbps), "lame_set_brate");
        Check(LameNative.SetQuality(_lame, 3), "lame_set_quality");
        Check(LameNative.SetWriteVbrTag(_lame, 0), "lame_set_bWriteVbrTag");
        Check(LameNative.InitParams(_lame), "lame_init_params");
    }

    /// <summary>Whether MP3 output can be offered on this machine.</summary>
    public static bool IsAvailable { get; } = LameNative.IsAvailable();

    /// <summary>Encodes float PCM in [-1, 1] and returns the MP3 bytes produced.</summary>
    public unsafe ReadOnlySpan<byte> Encode(ReadOnlySpan<float> pcm)
    {
        // LAME's documented worst case: 1.25 × samples + 7200 bytes.
        var needed = (int)(1.25 * pcm.Length) + 7200;
        if (_buffer.Length < needed)
        {
            _buffer = new byte[needed];
        }

        int written;
        fixed (float* samples = pcm)
        fixed (byte* output = _buffer)
        {
            written = LameNative.EncodeFloat(_lame, samples, samples, pcm.Length, output, _buffer.Length);
        }

        Check(written, "lame_encode_buffer_ieee_float");
        return _buffer.AsSpan(0, written);
    }

    /// <summary>Returns the last frames; the encoder must not be used afterwards.</summary>
    public unsafe ReadOnlySpan<byte> Flush()
    {
        int written;
        fixed (byte* output = _buffer)
        {
            written = LameNative.Flush(_lame, output, _buffer.Length);
        }

        Check(written, "lame_encode_flush");
        return _buffer.AsSpan(0, written);
    }

    public void Dispose() => _lame.Dispose();

    private static void Check(int result, string call)
    {
        if (result < 0)
        {
            throw new InvalidOperationException($"{call} failed with {result}.");
        }
    }
}
