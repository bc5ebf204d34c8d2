using System.Text;

namespace F5Tts.Engines.Audio;

/// <summary>
/// The one-node ONNX model that runs ONNX Runtime Extensions' <c>AudioDecoder</c> op (domain
/// <c>ai.onnx.contrib</c>): input <c>audio_stream</c> uint8 [1, n] (the file's bytes), output <c>pcm</c> float
/// [1, m] (interleaved samples at the file's own rate). Written here as protobuf bytes, so no model file ships.
/// </summary>
internal static class AudioDecoderModel
{
    /// <summary>Input tensor name.</summary>
    public const string Input = "audio_stream";

    /// <summary>Output tensor name.</summary>
    public const string Output = "pcm";

    // ONNX TensorProto.DataType and AttributeProto.AttributeType values.
    private const int Float = 1;
    private const int UInt8 = 2;
    private const int AttributeInt = 2;

    /// <summary>The serialised ModelProto (IR version 8, opset 17 plus ai.onnx.contrib 1).</summary>
    public static byte[] Build()
    {
        var node = new Proto()
            .String(1, Input)
            .String(2, Output)
            .String(3, "decode")
            .String(4, "AudioDecoder")
            // No resampling (no downsampling_rate: 0 would mean "resample to 0 Hz" in this version) and no mixing:
            // the service resamples and mixes itself (docs/audio.md "Conditioning").
            .Message(5, new Proto().String(1, "stereo_to_mono").Int(3, 0).Int(20, AttributeInt))
            .String(7, "ai.onnx.contrib");
        var graph = new Proto()
            .Message(1, node)
            .String(2, "reference_audio_decoder")
            .Message(11, ValueInfo(Input, UInt8))
            .Message(12, ValueInfo(Output, Float));
        return new Proto()
            .Int(1, 8)
            .String(2, "F5Tts.Server")
            .Message(7, graph)
            .Message(8, new Proto().String(1, string.Empty).Int(2, 17))
            .Message(8, new Proto().String(1, "ai.onnx.contrib").Int(2, 1))
            .ToArray();
    }

    private static Proto ValueInfo(string name, int elementType)
    {
        var shape = new Proto()
            .Message(1, new Proto().Int(1, 1))
            .Message(1, new Proto().String(2, "n"));
        var tensor = new Proto().Int(1, elementType).Message(2, shape);
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensor));
    }

    /// <summary>The few protobuf wire types a ModelProto needs: varints and length-delimited fields.</summary>
    private sealed class Proto
    {
        private readonly List<byte> _bytes = [];

        public Proto Int(int field, long value)
        {
            Varint(((ulong)field << 3) | 0);
            Varint((ulong)value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());

        public byte[] ToArray() => _bytes.ToArray();

        private Proto Bytes(int field, byte[] value)
        {
            Varint(((ulong)field << 3) | 2);
            Varint((ulong)value.Length);
            _bytes.AddRange(value);
            return this;
        }

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }
}
