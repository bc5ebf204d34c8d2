namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Runs a node test file of tests/node against a started host (F5TTS_URL) and checks its pass count.</summary>
public static class NodeTests
{
    /// <summary>
    /// Waits for readiness, runs <c>node --test</c> on <paramref name="file"/> one test at a time, and asserts that it
    /// exits 0 with <paramref name="passes"/> passes. <paramref name="package"/> names a package the file imports, to say
    /// clearly when <c>npm ci</c> was not run.
    /// </summary>
    public static async Task RunAsync(F5TtsApiFactory factory, string file, string package, int passes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var node = ExternalTool.Require("node", "nodejs");
        var folder = Path.Combine(RepoPaths.Root, "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", package)),
            "tests/node/node_modules is missing: run `npm ci` in tests/node (.ci/run does)");
        using var client = factory.CreateSocketClient();
        await Speech.WaitReadyAsync(client, cancellationToken);

        var url = factory.BaseAddress.ToString().TrimEnd('/');
        var result = await ExternalTool.RunAsync(node, ["--test", "--test-concurrency=1", "--test-reporter=spec", Path.Combine(folder, file)],
            null, TimeSpan.FromMinutes(5), cancellationToken, new Dictionary<string, string> { ["F5TTS_URL"] = url });

        Assert.True(result.ExitCode == 0, $"node --test failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.Contains($"pass {passes}", result.StdOut, StringComparison.Ordinal);
    }
}
