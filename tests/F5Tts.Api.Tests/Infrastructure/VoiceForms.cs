using System.Buffers.Binary;
using System.Net.Http.Headers;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Reference clips and <c>POST /v1/voices</c> forms for the tests.</summary>
public static class VoiceForms
{
    /// <summary>A mono 16-bit PCM WAV of a sine tone.</summary>
    public static byte[] Wav(double seconds = 2.0, int rate = 16_000, double frequency = 330, double amplitude = 0.3)
    {
        int n = (int)(seconds * rate);
        var bytes = new byte[44 + (2 * n)];
        "RIFF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        "WAVEfmt "u8.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(22), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), (uint)(rate * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(32), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(34), 16);
        "data"u8.CopyTo(bytes.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), (uint)(2 * n));
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(44 + (2 * i)), (short)(amplitude * 32767 * Math.Sin(2 * Math.PI * frequency * i / rate)));
        }

        return bytes;
    }

    /// <summary>The upload form; a null field is left out.</summary>
    public static MultipartFormDataContent Form(byte[]? audio, string? name = "Test voice", string? transcript = "Some words.", string? id = null)
    {
        var form = new MultipartFormDataContent();
        if (name is not null)
        {
            form.Add(new StringContent(name), "name");
        }

        if (transcript is not null)
        {
            form.Add(new StringContent(transcript), "transcript");
        }

        if (id is not null)
        {
            form.Add(new StringContent(id), "id");
        }

        if (audio is not null)
        {
            var file = new ByteArrayContent(audio);
            file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
            form.Add(file, "audio", "clip.wav");
        }

        return form;
    }
}
