using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Sampling;

/// <summary>
/// The flow-matching time grid of one request (docs/model.md "Time grid, sway and EPSS", docs/engine.md "Sampler"): NFE + 1 points from 0 to 1,
/// either uniform or the upstream EPSS grid, then warped by sway sampling. Step k integrates from t[k] to t[k+1]
/// with one Euler step of size dt[k] = t[k+1] − t[k].
/// </summary>
public sealed class TimeGrid
{
    /// <summary>Largest NFE the engine accepts; far above any useful value, it only bounds memory.</summary>
    public const int MaxSteps = 1024;

    /// <summary>EPSS lattice: upstream stores the pruned grids as multiples of 1/32.</summary>
    private const double EpssLattice = 32.0;

    // Upstream SWivid f5_tts/model/utils.py get_epss_timesteps (checked against docs/model.md "Time grid, sway and EPSS"); indices on the 1/32 lattice.
    private static readonly Dictionary<int, int[]> EpssGrids = new()
    {
        [5] = [0, 2, 4, 8, 16, 32],
        [6] = [0, 2, 4, 6, 8, 16, 32],
        [7] = [0, 2, 4, 6, 8, 16, 24, 32],
        [10] = [0, 2, 4, 6, 8, 12, 16, 20, 24, 28, 32],
        [12] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32],
        [16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32],
    };

    private readonly float[] _t;
    private readonly float[] _dt;

    private TimeGrid(float[] t, float[] dt)
    {
        _t = t;
        _dt = dt;
    }

    /// <summary>Number of Euler steps (function evaluations).</summary>
    public int Steps => _dt.Length;

    /// <summary>The NFE + 1 grid points, after sway.</summary>
    public ReadOnlySpan<float> Times => _t;

    /// <summary>The NFE step sizes.</summary>
    public ReadOnlySpan<float> Deltas => _dt;

    /// <summary>Time at the start of step <paramref name="step"/>.</summary>
    public float TimeAt(int step) => _t[step];

    /// <summary>Size of step <paramref name="step"/>.</summary>
    public float DeltaAt(int step) => _dt[step];

    /// <summary>True when upstream has an EPSS grid for <paramref name="steps"/>.</summary>
    public static bool HasEpssGrid(int steps) => EpssGrids.ContainsKey(steps);

    /// <summary>Builds the grid of <paramref name="settings"/>.</summary>
    public static TimeGrid For(SamplerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Create(settings.NfeSteps, settings.Sway, settings.UseEpss);
    }

    /// <summary>
    /// Builds the grid for <paramref name="steps"/> Euler steps: EPSS points when <paramref name="useEpss"/> and
    /// upstream has a grid for that count, else k/steps; then t' = t + s·(cos(πt/2) − 1 + t) with s =
    /// <paramref name="sway"/> (upstream applies sway on top of EPSS too). Computed in double and rounded to float once;
    /// dt is the float difference of the rounded points, as upstream's fp32 <c>t1 − t0</c>.
    /// </summary>
    public static TimeGrid Create(int steps, float sway, bool useEpss = true)
    {
        if (steps is < 1 or > MaxSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"NFE steps must be in 1..{MaxSteps}.");
        }

        if (!float.IsFinite(sway))
        {
            throw new ArgumentOutOfRangeException(nameof(sway), sway, "Sway coefficient must be finite.");
        }

        var raw = new double[steps + 1];
        if (useEpss && EpssGrids.TryGetValue(steps, out var lattice))
        {
            for (var k = 0; k <= steps; k++)
            {
                raw[k] = lattice[k] / EpssLattice;
            }
        }
        else
        {
            for (var k = 0; k <= steps; k++)
            {
                raw[k] = (double)k / steps;
            }
        }

        var t = new float[steps + 1];
        for (var k = 0; k <= steps; k++)
        {
            var x = raw[k];
            t[k] = (float)(x + sway * (Math.Cos(Math.PI / 2 * x) - 1 + x));
        }

        // The end points are exact whatever s is (cos(0) = 1, cos(π/2) ≈ 6e-17); pin them so rounding never moves them.
        t[0] = 0f;
        t[steps] = 1f;

        var dt = new float[steps];
        for (var k = 0; k < steps; k++)
        {
            dt[k] = t[k + 1] - t[k];
        }

        return new TimeGrid(t, dt);
    }
}
