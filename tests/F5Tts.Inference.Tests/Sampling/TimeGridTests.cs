using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Inference.Tests.Sampling;

public sealed class TimeGridTests
{
    [Fact]
    public void Uniform_grid_without_sway_is_k_over_nfe()
    {
        var grid = TimeGrid.Create(32, sway: 0f, useEpss: true);
        Assert.Equal(33, grid.Times.Length);
        for (var k = 0; k <= 32; k++)
        {
            Assert.Equal(k / 32f, grid.Times[k], 7);
        }
    }

    [Fact]
    public void Sway_minus_one_matches_reference_values()
    {
        // docs/model.md "Time grid, sway and EPSS": 33-point grid with s = −1 is 1 − cos(πt/2): 0, 0.001205, 0.004815, 0.010823, …, 0.950932, 1.
        var grid = TimeGrid.Create(32, sway: -1f);
        Assert.Equal(0f, grid.Times[0]);
        Assert.Equal(0.001205, grid.Times[1], 1e-6);
        Assert.Equal(0.004815, grid.Times[2], 1e-6);
        Assert.Equal(0.010823, grid.Times[3], 1e-6);
        Assert.Equal(0.901983, grid.Times[30], 1e-6);
        Assert.Equal(0.950932, grid.Times[31], 1e-6);
        Assert.Equal(1f, grid.Times[32]);
        Assert.Equal(0.0012045, grid.Deltas[0], 1e-6);
        Assert.Equal(0.0490677, grid.Deltas[31], 1e-6);
    }

    [Fact]
    public void Dakeqq_31_step_grid_deltas_match_reference()
    {
        // docs/model.md "Time grid, sway and EPSS": DakeQQ's 32-point grid (31 NFE) has Δt from 0.0012835 to 0.0506492.
        var grid = TimeGrid.Create(31, sway: -1f, useEpss: true);
        Assert.Equal(0.0012835, grid.Deltas[0], 1e-6);
        Assert.Equal(0.0506492, grid.Deltas[30], 1e-6);
    }

    [Theory]
    [InlineData(5, new[] { 0, 2, 4, 8, 16, 32 })]
    [InlineData(6, new[] { 0, 2, 4, 6, 8, 16, 32 })]
    [InlineData(7, new[] { 0, 2, 4, 6, 8, 16, 24, 32 })]
    [InlineData(10, new[] { 0, 2, 4, 6, 8, 12, 16, 20, 24, 28, 32 })]
    [InlineData(12, new[] { 0, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32 })]
    [InlineData(16, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32 })]
    public void Epss_grids_match_upstream_and_take_sway_on_top(int nfe, int[] lattice)
    {
        var plain = TimeGrid.Create(nfe, sway: 0f, useEpss: true);
        var swayed = TimeGrid.Create(nfe, sway: -1f, useEpss: true);
        Assert.True(TimeGrid.HasEpssGrid(nfe));
        Assert.Equal(nfe + 1, plain.Times.Length);
        for (var k = 0; k <= nfe; k++)
        {
            var t = lattice[k] / 32.0;
            Assert.Equal(t, plain.Times[k], 7);
            Assert.Equal(1 - Math.Cos(Math.PI / 2 * t), swayed.Times[k], 6);
        }
    }

    [Fact]
    public void Epss_off_gives_uniform_grid()
    {
        var grid = TimeGrid.Create(16, sway: 0f, useEpss: false);
        Assert.Equal(1 / 16f, grid.Times[1], 7);
        Assert.False(TimeGrid.HasEpssGrid(32));
    }

    [Fact]
    public void Deltas_sum_to_one_and_are_positive()
    {
        foreach (var nfe in new[] { 1, 5, 16, 31, 32, 64 })
        {
            var grid = TimeGrid.For(new SamplerSettings(NfeSteps: nfe));
            double sum = 0;
            foreach (var d in grid.Deltas)
            {
                Assert.True(d > 0);
                sum += d;
            }

            Assert.Equal(1.0, sum, 5);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(TimeGrid.MaxSteps + 1)]
    public void Invalid_step_counts_are_rejected(int nfe) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TimeGrid.Create(nfe, -1f));
}
