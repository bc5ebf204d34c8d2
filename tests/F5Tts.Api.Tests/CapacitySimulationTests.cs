using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// benchmarks/capacity/simulate.py (docs/capacity.md): fed by the measured per-batch engine times, it must reproduce
/// the measured 16/32/64-client H200 service runs within 10 % (throughput and p95), and its GPU count must be the
/// smallest that meets the target.
/// </summary>
public sealed class CapacitySimulationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> SimulateAsync(params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(ExternalTool.Require("python3", "python3"),
            [Path.Combine(RepoPaths.Root, "benchmarks", "capacity", "simulate.py"), .. arguments], null, TimeSpan.FromMinutes(5), Ct);
        Assert.True(result.ExitCode == 0, result.StdErr);
        return JsonDocument.Parse(result.StdOut).RootElement.Clone();
    }

    [Fact]
    public async Task The_simulation_reproduces_the_measured_16_32_and_64_client_runs_within_10_percent()
    {
        var rows = (await SimulateAsync("validate")).EnumerateArray().ToList();
        Assert.Equal([16, 32, 64], rows.Select(r => r.GetProperty("clients").GetInt32()));
        Assert.All(rows, r =>
        {
            Assert.InRange(r.GetProperty("throughput_error").GetDouble(), -0.10, 0.10);
            Assert.InRange(r.GetProperty("p95_error").GetDouble(), -0.10, 0.10);
        });
    }

    [Fact]
    public async Task The_plan_is_the_fewest_GPUs_that_meet_the_p95_target()
    {
        var plan = await SimulateAsync("plan", "--users", "64", "--p95-ms", "600");
        int gpus = plan.GetProperty("gpus").GetInt32();
        var table = plan.GetProperty("table").EnumerateArray().ToList();
        Assert.Equal(gpus, table.Count);
        Assert.True(table[^1].GetProperty("p95_ms").GetDouble() <= 600);
        Assert.All(table[..^1], row => Assert.True(row.GetProperty("p95_ms").GetDouble() > 600));
        // 64 saturating users are four full batches of 16: one GPU each.
        Assert.Equal(4, gpus);
    }
}
