using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>deploy/prometheus/f5tts-alerts.yaml: valid for promtool, and its unit tests (f5tts-alerts.test.yaml) pass.</summary>
public sealed class AlertRulesTests
{
    private static readonly string Dir = Path.Combine(RepoPaths.Root, "deploy", "prometheus");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<ExternalTool.Result> PromtoolAsync(string directory, params string[] arguments) =>
        ExternalTool.RunAsync(ExternalTool.Require("promtool", "prometheus"), arguments, null, TimeSpan.FromMinutes(2), Ct, workingDirectory: directory);

    [Fact]
    public async Task The_alert_rules_pass_promtool_check_and_their_unit_tests()
    {
        var check = await PromtoolAsync(Dir, "check", "rules", "f5tts-alerts.yaml");
        Assert.True(check.ExitCode == 0, check.StdOut + check.StdErr);
        Assert.Contains("SUCCESS: 6 rules found", check.StdOut, StringComparison.Ordinal);

        var test = await PromtoolAsync(Dir, "test", "rules", "f5tts-alerts.test.yaml");
        Assert.True(test.ExitCode == 0, test.StdOut + test.StdErr);
    }

    [Theory]
    [InlineData("> 0.05", "> 0.5", "F5TtsHighErrorRate")] // 10 % errors would no longer fire
    [InlineData("[5m]))) > 10", "[5m]))) > 100", "F5TtsLatencyP95OverTarget")]
    [InlineData("f5tts_worker_up == 0", "f5tts_worker_up == 2", "F5TtsWorkerDown")]
    public async Task A_weakened_rule_fails_its_unit_test(string original, string weakened, string alert)
    {
        var copy = Directory.CreateTempSubdirectory("f5tts-alerts-").FullName;
        try
        {
            string rules = await File.ReadAllTextAsync(Path.Combine(Dir, "f5tts-alerts.yaml"), Ct);
            Assert.Contains(original, rules, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(copy, "f5tts-alerts.yaml"), rules.Replace(original, weakened, StringComparison.Ordinal), Ct);
            File.Copy(Path.Combine(Dir, "f5tts-alerts.test.yaml"), Path.Combine(copy, "f5tts-alerts.test.yaml"));

            var test = await PromtoolAsync(copy, "test", "rules", "f5tts-alerts.test.yaml");

            Assert.NotEqual(0, test.ExitCode);
            Assert.Contains($"alertname: {alert}", test.StdOut + test.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
