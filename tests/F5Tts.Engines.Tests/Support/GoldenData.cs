using System.Runtime.InteropServices;
using System.Text.Json;

namespace F5Tts.Engines.Tests.Support;

/// <summary>Reads the exporter's golden data (<c>f5tts-golden/1</c>: golden.json + golden.bin, tests/fixtures/README.md).</summary>
internal sealed class GoldenData
{
    private readonly byte[] _bin;
    private readonly Dictionary<string, (string DType, long[] Shape, int Offset, int Length)> _tensors = [];
    private readonly JsonElement _scalars;

    private GoldenData(string directory)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "golden.json")));
        var root = json.RootElement;
        if (root.GetProperty("format").GetString() != "f5tts-golden/1")
        {
            throw new InvalidDataException("Unknown golden format in " + directory);
        }

        _scalars = root.GetProperty("scalars").Clone();
        foreach (var t in root.GetProperty("tensors").EnumerateArray())
        {
            _tensors[t.GetProperty("name").GetString()!] = (
                t.GetProperty("dtype").GetString()!,
                t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                t.GetProperty("offset").GetInt32(),
                t.GetProperty("length").GetInt32());
        }

        _bin = File.ReadAllBytes(Path.Combine(directory, "golden.bin"));
    }

    public static GoldenData Load(string name) => new(Path.Combine(Fixtures.Root, "golden", name));

    public long[] Shape(string name) => _tensors[name].Shape;

    public float[] Floats(string name) => Read<float>(name, "float32");

    public int[] Ints(string name) => Read<int>(name, "int32");

    public long[] Longs(string name) => Read<long>(name, "int64");

    public short[] Shorts(string name) => Read<short>(name, "int16");

    public long Long(string name) => _scalars.GetProperty(name).GetInt64();

    public double[] Doubles(string name) => _scalars.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private T[] Read<T>(string name, string dtype)
        where T : unmanaged
    {
        var t = _tensors[name];
        if (t.DType != dtype)
        {
            throw new InvalidDataException($"{name} is {t.DType}, not {dtype}.");
        }

        return MemoryMarshal.Cast<byte, T>(_bin.AsSpan(t.Offset, t.Length)).ToArray();
    }
}

/// <summary>Locates tests/fixtures by walking up from the test binaries.</summary>
internal static class Fixtures
{
    public static string Root { get; } = Find();

    public static string Model(string name) => Path.Combine(Root, "models", name);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(Path.Combine(candidate, "models")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Tolerance assertions that report the measured error.</summary>
internal static class Close
{
    public static double MaxAbs(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        }

        return max;
    }

    public static void Assert(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        var max = MaxAbs(expected, actual);
        Xunit.Assert.True(max <= tolerance, $"{what}: max abs error {max:E3} > {tolerance:E1}");
    }
}
