using System.Text.RegularExpressions;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// Documentation stands alone: no comment or document in the repository cites a document that is not in it — the
/// numbered sections of the old design and reference notes. Comments cite pages under docs/ instead
/// (docs/architecture.md, docs/model.md, ...). tools/check-citations.sh applies the same rule from a shell.
/// </summary>
public sealed partial class CitationTests
{
    // "(design|reference) §N", "(§N)", a bare "§N" not preceded by "RFC NNNN ", and the old notes' file names.
    [GeneratedRegex(@"(design|reference)\s*§|\(§[0-9]|(?<!RFC [0-9]{4} )§[0-9]|f5-refer[e]nce|design[.]md", RegexOptions.CultureInvariant)]
    private static partial Regex Forbidden();

    private static readonly string[] Folders = ["src", "tests", "tools", "benchmarks", "deploy", "docs"];

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".csproj", ".props", ".targets", ".md", ".py", ".sh", ".cc", ".cu", ".h", ".json", ".yaml", ".yml",
        ".js", ".mjs", ".ts", ".html", ".css", ".tpl", ".txt", ".toml", ".xml",
    };

    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal)
    {
        "bin", "obj", "node_modules", ".git", "__pycache__", "TestResults", "models", "golden", "checkpoints",
    };

    [Fact]
    public void No_comment_or_document_cites_a_document_outside_the_repository()
    {
        var findings = Scan(RepoPaths.Root);

        Assert.True(findings.Count == 0, "cite docs/ pages instead:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void The_scan_finds_a_planted_citation_and_accepts_an_RFC_section()
    {
        var root = Directory.CreateTempSubdirectory("f5tts-citations-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "src"));
            Directory.CreateDirectory(Path.Combine(root, "docs"));
            File.WriteAllText(Path.Combine(root, "src", "Ok.cs"), "// RFC 7845 §5.1 identification header (docs/model.md \"Sampling\")\n");
            // "\u00a7" in the source, so that this file does not match the rule it tests
            File.WriteAllText(Path.Combine(root, "src", "Bad.cs"), "/// <summary>The grid (reference \u00a76.2).</summary>\n");
            File.WriteAllText(Path.Combine(root, "docs", "bad.md"), "Written from the notes (\u00a71.2); see design \u00a73.\n");

            var findings = Scan(root);

            Assert.Equal(2, findings.Count);
            Assert.Contains(findings, f => f.StartsWith("src/Bad.cs:1:", StringComparison.Ordinal));
            Assert.Contains(findings, f => f.StartsWith("docs/bad.md:1:", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Every line of a text file under the scanned folders (and the root's Markdown) that cites outside.</summary>
    private static List<string> Scan(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.md", SearchOption.TopDirectoryOnly)
            .Concat(Folders.Select(f => Path.Combine(root, f)).Where(Directory.Exists).SelectMany(EnumerateText));
        var findings = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (Forbidden().IsMatch(lines[i]))
                {
                    findings.Add($"{Path.GetRelativePath(root, file).Replace('\\', '/')}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        return findings;
    }

    private static IEnumerable<string> EnumerateText(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (TextExtensions.Contains(Path.GetExtension(file)) || name is "Dockerfile" or ".helmignore")
            {
                yield return file;
            }
        }

        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            if (!SkippedDirectories.Contains(Path.GetFileName(sub)))
            {
                foreach (var file in EnumerateText(sub))
                {
                    yield return file;
                }
            }
        }
    }
}
