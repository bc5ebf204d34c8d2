namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Runs a node --test script of tests/node that drives the system Chromium (puppeteer-core).</summary>
public static class NodeScripts
{
    /// <summary>
    /// Runs <paramref name="script"/> with <c>F5TTS_URL</c> (the service) and <c>CHROMIUM</c> set, plus
    /// <paramref name="environment"/>; requires node, chromium and the installed node modules.
    /// </summary>
    public static Task<ExternalTool.Result> RunChromiumScriptAsync(
        string script, Uri service, IDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var node = ExternalTool.Require("node");
        var chromium = ExternalTool.Require("chromium");
        var folder = Path.Combine(RepoPaths.Root, "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "puppeteer-core")),
            "tests/node/node_modules is missing: ./test.sh runs npm ci in tests/node");
        var all = new Dictionary<string, string>(environment)
        {
            ["F5TTS_URL"] = service.ToString().TrimEnd('/'),
            ["CHROMIUM"] = chromium,
        };
        // A hang guard, not a speed limit: a busy machine synthesises slowly.
        return ExternalTool.RunAsync(node, ["--test", "--test-reporter=spec", Path.Combine(folder, script)],
            null, TimeSpan.FromMinutes(10), cancellationToken, all);
    }
}
