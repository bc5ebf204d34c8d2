using System.Buffers.Binary;

namespace F5Tts.Inference.Audio;

/// <summary>Float → 16-bit little-endian conversion shared by the WAV and raw PCM encoders.</summary>
internal static class Pcm16
{
    /// <summary>Clamps to [-1, 1], scales by 32767 (symmetric, as DakeQQ's Decode graph) and rounds.</summary>
    public static void Write(ReadOnlySpan<float> samples, Span<byte> destination)
    {
        for (int i = 0; i < samples.Length; i++)
        {
            float v = samples[i];
            v = float.IsNaN(v) ? 0f : Math.Clamp(v, -1f, 1f);
            BinaryPrimitives.WriteInt16LittleEndian(destination[(2 * i)..], (short)MathF.Round(v * 32767f));
        }
    }

    /// <summary>Converts and writes a block to <paramref name="stream"/>.</summary>
    public static async ValueTask WriteAsync(Stream stream, float[] samples, CancellationToken cancellationToken)
    {
        if (samples.Length == 0)
        {
            return;
        }

        var bytes = new byte[samples.Length * 2];
        Write(samples, bytes);
        await stream.WriteAsync(bytes, cancellationToken);
    }
}
