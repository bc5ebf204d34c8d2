using System.Reflection;
using System.Text.RegularExpressions;
using F5Tts.Api.Errors;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The README's error table is complete: every problem type the service can answer with — each constant of
/// <see cref="ProblemTypes"/> and each cause code the audio and voice code raises — has a row in it.
/// </summary>
public sealed partial class ReadmeErrorTableTests
{
    private const string Prefix = "urn:f5tts:problem:";

    // A cause code passed next to its kind (`AudioRequestException(TtsErrorKind.X, "code"`, `new(TtsErrorKind.X, "code"`)
    // or to the voice registry's `Invalid("code", …)`.
    [GeneratedRegex(@"(?:TtsErrorKind\.\w+,\s*""|\bInvalid\("")([a-z]+(?:-[a-z0-9]+)*)""", RegexOptions.CultureInvariant)]
    private static partial Regex CauseCode();

    [Fact]
    public void Every_problem_type_has_a_row_in_the_README_error_table()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var start = readme.IndexOf("## Errors", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Errors' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var table = readme[start..(end < 0 ? readme.Length : end)];

        var types = typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(v => v.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(v => v[Prefix.Length..])
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("internal-error", types);

        var sources = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var file in sources)
        {
            foreach (Match m in CauseCode().Matches(File.ReadAllText(file)))
            {
                types.Add(m.Groups[1].Value);
            }
        }

        Assert.Contains("voice-exists", types);
        var missing = types.Where(t => !table.Contains($"`{t}`", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"README.md's error table lacks: {string.Join(", ", missing)}");
    }
}
