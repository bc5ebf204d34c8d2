using System.Text;

namespace F5Tts.Engines.Tests.Support;

/// <summary>
/// Writes minimal ONNX models (protobuf by hand, opset 17) for tests of loading and provider selection that do not
/// need the F5 fixtures: each output is an Identity of an input of its type (or a Cast of input 0).
/// </summary>
internal static class TinyOnnx
{
    public const int Float = 1;
    public const int Float16 = 10;
    public const int Int16 = 5;
    public const int Int32 = 6;
    public const int Int64 = 7;

    public sealed record Tensor(string Name, int ElementType, params object[] Dims);

    /// <summary>Writes a graph whose outputs are Identity copies of the first input of the same element type (else input 0).</summary>
    public static void Write(string path, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = new List<byte>();
        for (var i = 0; i < outputs.Count; i++)
        {
            var node = new List<byte>();
            var same = inputs.FirstOrDefault(t => t.ElementType == outputs[i].ElementType);
            Str(node, 1, (same ?? inputs[0]).Name);
            Str(node, 2, outputs[i].Name);
            Str(node, 3, "n" + i);
            Str(node, 4, same is null ? "Cast" : "Identity");
            if (same is null)
            {
                var to = new List<byte>();
                Str(to, 1, "to");
                Varint(to, 3, (ulong)outputs[i].ElementType);
                Varint(to, 20, 2); // AttributeType.INT
                Msg(node, 5, to);
            }

            Msg(graph, 1, node);
        }

        Str(graph, 2, "tiny");
        foreach (var t in inputs)
        {
            Msg(graph, 11, ValueInfo(t));
        }

        foreach (var t in outputs)
        {
            Msg(graph, 12, ValueInfo(t));
        }

        var model = new List<byte>();
        Varint(model, 1, 8); // ir_version
        Str(model, 2, "F5Tts.Engines.Tests");
        Msg(model, 7, graph);
        var opset = new List<byte>();
        Str(opset, 1, string.Empty);
        Varint(opset, 2, 17);
        Msg(model, 8, opset);
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>())
        {
            var entry = new List<byte>();
            Str(entry, 1, k);
            Str(entry, 2, v);
            Msg(model, 14, entry);
        }

        File.WriteAllBytes(path, model.ToArray());
    }

    private static List<byte> ValueInfo(Tensor t)
    {
        var shape = new List<byte>();
        foreach (var d in t.Dims)
        {
            var dim = new List<byte>();
            if (d is string p)
            {
                Str(dim, 2, p);
            }
            else
            {
                Varint(dim, 1, Convert.ToUInt64(d, System.Globalization.CultureInfo.InvariantCulture));
            }

            Msg(shape, 1, dim);
        }

        var tensor = new List<byte>();
        Varint(tensor, 1, (ulong)t.ElementType);
        Msg(tensor, 2, shape);
        var type = new List<byte>();
        Msg(type, 1, tensor);
        var vi = new List<byte>();
        Str(vi, 1, t.Name);
        Msg(vi, 2, type);
        return vi;
    }

    private static void Key(List<byte> b, int field, int wire) => Raw(b, (ulong)((field << 3) | wire));

    private static void Raw(List<byte> b, ulong v)
    {
        while (v >= 0x80)
        {
            b.Add((byte)(v | 0x80));
            v >>= 7;
        }

        b.Add((byte)v);
    }

    private static void Varint(List<byte> b, int field, ulong v)
    {
        Key(b, field, 0);
        Raw(b, v);
    }

    private static void Str(List<byte> b, int field, string s) => Msg(b, field, [.. Encoding.UTF8.GetBytes(s)]);

    private static void Msg(List<byte> b, int field, List<byte> payload)
    {
        Key(b, field, 2);
        Raw(b, (ulong)payload.Count);
        b.AddRange(payload);
    }
}
