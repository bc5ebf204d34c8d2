using System.Text;

namespace F5Tts.Engines.Tests.Support;

/// <summary>
/// A small ONNX graph builder (protobuf written by hand, opset 17) for test models made of real operators, used where
/// the exporter's fixtures are not needed: toy graphs with the f5tts-batched/1 signature and per-frame arithmetic.
/// </summary>
internal sealed class TinyGraph
{
    private readonly List<byte> _graph = [];
    private readonly SortedSet<string> _domains = new(StringComparer.Ordinal);
    private int _nodes;

    public TinyGraph Input(string name, int elementType, params object[] dims)
    {
        Msg(_graph, 11, ValueInfo(name, elementType, dims));
        return this;
    }

    public TinyGraph Output(string name, int elementType, params object[] dims)
    {
        Msg(_graph, 12, ValueInfo(name, elementType, dims));
        return this;
    }

    public TinyGraph Floats(string name, float[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Initializer(name, TinyOnnx.Float, bytes, dims);
    }

    public TinyGraph Longs(string name, long[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Initializer(name, TinyOnnx.Int64, bytes, dims);
    }

    /// <summary>Adds a node; attributes are (name, value) with value long, float, long[] or string.</summary>
    public TinyGraph Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes) =>
        DomainNode(string.Empty, op, inputs, outputs, attributes);

    /// <summary>Adds a node of a custom-op <paramref name="domain"/> (imported at opset version 1).</summary>
    public TinyGraph DomainNode(string domain, string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new List<byte>();
        foreach (var i in inputs)
        {
            Str(node, 1, i);
        }

        foreach (var o in outputs)
        {
            Str(node, 2, o);
        }

        Str(node, 3, op + "_" + _nodes++);
        Str(node, 4, op);
        if (domain.Length > 0)
        {
            Str(node, 7, domain);
            _domains.Add(domain);
        }

        foreach (var (name, value) in attributes)
        {
            var a = new List<byte>();
            Str(a, 1, name);
            switch (value)
            {
                case long l:
                    Varint(a, 3, unchecked((ulong)l));
                    Varint(a, 20, 2);
                    break;
                case int n:
                    Varint(a, 3, unchecked((ulong)(long)n));
                    Varint(a, 20, 2);
                    break;
                case float f:
                    Key(a, 2, 5);
                    a.AddRange(BitConverter.GetBytes(f));
                    Varint(a, 20, 1);
                    break;
                case long[] ls:
                    foreach (var l in ls)
                    {
                        Varint(a, 8, unchecked((ulong)l));
                    }

                    Varint(a, 20, 7);
                    break;
                default:
                    throw new ArgumentException($"Unsupported attribute {name}.");
            }

            Msg(node, 5, a);
        }

        Msg(_graph, 1, node);
        return this;
    }

    public void Write(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = new List<byte>(_graph);
        Str(graph, 2, "tiny");
        var model = new List<byte>();
        Varint(model, 1, 8);
        Str(model, 2, "F5Tts.Engines.Tests");
        Msg(model, 7, graph);
        var opset = new List<byte>();
        Str(opset, 1, string.Empty);
        Varint(opset, 2, 17);
        Msg(model, 8, opset);
        foreach (var domain in _domains)
        {
            var custom = new List<byte>();
            Str(custom, 1, domain);
            Varint(custom, 2, 1);
            Msg(model, 8, custom);
        }
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>())
        {
            var entry = new List<byte>();
            Str(entry, 1, k);
            Str(entry, 2, v);
            Msg(model, 14, entry);
        }

        File.WriteAllBytes(path, model.ToArray());
    }

    private TinyGraph Initializer(string name, int type, byte[] raw, long[] dims)
    {
        var t = new List<byte>();
        foreach (var d in dims)
        {
            Varint(t, 1, (ulong)d);
        }

        Varint(t, 2, (ulong)type);
        Str(t, 8, name);
        Bytes(t, 9, raw);
        Msg(_graph, 5, t);
        return this;
    }

    private static List<byte> ValueInfo(string name, int elementType, object[] dims)
    {
        var shape = new List<byte>();
        foreach (var d in dims)
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
        Varint(tensor, 1, (ulong)elementType);
        Msg(tensor, 2, shape);
        var type = new List<byte>();
        Msg(type, 1, tensor);
        var vi = new List<byte>();
        Str(vi, 1, name);
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

    private static void Str(List<byte> b, int field, string s) => Bytes(b, field, Encoding.UTF8.GetBytes(s));

    private static void Bytes(List<byte> b, int field, byte[] payload)
    {
        Key(b, field, 2);
        Raw(b, (ulong)payload.Length);
        b.AddRange(payload);
    }

    private static void Msg(List<byte> b, int field, List<byte> payload) => Bytes(b, field, [.. payload]);
}
