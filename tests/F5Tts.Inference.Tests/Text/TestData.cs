using System.Text.Json;

namespace F5Tts.Inference.Tests.Text;

/// <summary>Locates tests/data (copied to the test output) and reads the golden file.</summary>
internal static class TestData
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "data", name);

    public static string VocabPath => Path("f5-vocab.txt");

    public sealed record GoldenLine(string Text, string[] Tokens, int[] Ids);

    public static IReadOnlyList<GoldenLine> Golden()
    {
        var lines = new List<GoldenLine>();
        foreach (var line in File.ReadLines(Path("frontend-golden.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            lines.Add(new GoldenLine(
                root.GetProperty("text").GetString()!,
                [.. root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!)],
                [.. root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())]));
        }

        return lines;
    }
}
