using System.Globalization;
using System.Text.RegularExpressions;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Reads the per-worker gauges and counters (label <c>worker</c>) out of a /metrics scrape.</summary>
public static class WorkerMetrics
{
    /// <summary>The value of <paramref name="family"/> for <paramref name="worker"/>; fails the test when there is none.</summary>
    public static double Sample(string metrics, string family, string worker)
    {
        var match = new Regex($@"^{family}\{{[^}}]*worker=""{worker}""[^}}]*\}} (\S+)$", RegexOptions.Multiline).Match(metrics);
        Assert.True(match.Success, $"no {family} sample for worker {worker}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
