using System.Globalization;
using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Batching;

/// <summary>The measured Transformer step at one batch size (median of the timed steps).</summary>
internal readonly record struct StepTiming(int BatchSize, TimeSpan Step)
{
    /// <summary>Items advanced one step per millisecond: the throughput a full batch of this size gives.</summary>
    public double ItemsPerMillisecond => BatchSize / Math.Max(Step.TotalMilliseconds, 1e-6);
}

/// <summary>The batch size a worker keeps to, with the timings it was picked from and why, for the log.</summary>
internal sealed record BatchSizeChoice(int BatchSize, IReadOnlyList<StepTiming> Timings, string Reason);

/// <summary>
/// Picks the batch size that gives the most throughput within a latency budget (docs/serving.md "Picking the batch
/// size"): at start, one step of the engine is timed at each candidate size (powers of two up to the configured limit,
/// and the limit), on items of <see cref="CalibrationFrames"/> frames. A size qualifies when a request of the default
/// steps, riding a full batch of that size, spends at most the budget in the Transformer; of those, the smallest whose
/// throughput is within the tolerance of the best is kept — past the card's saturation a larger batch adds latency and
/// memory but not throughput.
/// </summary>
internal static class BatchSizePicker
{
    /// <summary>Frames of the calibration items: the test sentence with a 3 s reference (docs/benchmarks.md).</summary>
    public const int CalibrationFrames = 680;

    /// <summary>
    /// Untimed steps per size: engines with CUDA graphs run a new shape normally twice per parity and capture it on the
    /// third, so after six steps both parities' graphs are captured; two more as margin, should a runtime release need
    /// one more ordinary run per graph (the capture gate keeps the same margin), so that the timed steps replay.
    /// </summary>
    public const int WarmSteps = 8;

    /// <summary>Timed steps per size; their median is the size's step time.</summary>
    public const int TimedSteps = 4;

    /// <summary>
    /// 1, 2, 4, … below <paramref name="maxBatch"/>, and <paramref name="maxBatch"/> itself, each only while a full batch
    /// of calibration items stays within <paramref name="maxBatchFrames"/> (the batcher could never form a larger one,
    /// and the frame budget is the memory bound); 1 always.
    /// </summary>
    public static IReadOnlyList<int> Candidates(int maxBatch, int maxBatchFrames)
    {
        var sizes = new List<int> { 1 };
        for (var b = 2; b < maxBatch; b *= 2)
        {
            sizes.Add(b);
        }

        if (maxBatch > 1)
        {
            sizes.Add(maxBatch);
        }

        return sizes.Where(b => b == 1 || (long)b * CalibrationFrames <= maxBatchFrames).ToList();
    }

    /// <summary>
    /// Times the step at each size in <paramref name="sizes"/> (ascending) on fresh items of synthetic input (a silent
    /// reference, one repeated token: step time does not depend on the values), disposed afterwards. A size the engine
    /// fails at (say, out of device memory) ends the measurement with the sizes timed before it, through
    /// <paramref name="failed"/>; a failure at the first size is thrown. The engine then gives back the memory the
    /// largest batch grew.
    /// </summary>
    public static IReadOnlyList<StepTiming> Measure(
        ITtsEngine engine, IReadOnlyList<int> sizes, TimeProvider time, Action<int, Exception> failed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(failed);
        var input = CalibrationInput(engine.Description);
        var timings = new List<StepTiming>(sizes.Count);
        foreach (var size in sizes)
        {
            var items = new List<IEngineItem>(size);
            try
            {
                for (var i = 0; i < size; i++)
                {
                    items.Add(engine.Prepare(input with { Sampler = input.Sampler with { Seed = i } }, cancellationToken));
                }

                var steps = new TimeSpan[TimedSteps];
                for (var k = 0; k < WarmSteps + TimedSteps; k++)
                {
                    var start = time.GetTimestamp();
                    engine.RunStep(items, cancellationToken);
                    if (k >= WarmSteps)
                    {
                        steps[k - WarmSteps] = time.GetElapsedTime(start);
                    }
                }

                Array.Sort(steps);
                timings.Add(new StepTiming(size, (steps[(TimedSteps - 1) / 2] + steps[TimedSteps / 2]) / 2));
            }
            catch (Exception ex) when (ex is not OperationCanceledException && timings.Count > 0)
            {
                failed(size, ex);
                break;
            }
            finally
            {
                items.ForEach(i => i.Dispose());
            }
        }

        engine.ReleaseIdleMemory();
        return timings;
    }

    /// <summary>
    /// The smallest size within <paramref name="budget"/> (a request of <paramref name="steps"/> steps in a full batch:
    /// steps × step time; <see cref="TimeSpan.Zero"/> for none) whose throughput is at least (1 − tolerance) of the best
    /// within the budget; 1 when no size fits it.
    /// </summary>
    public static BatchSizeChoice Pick(IReadOnlyList<StepTiming> timings, TimeSpan budget, int steps, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(timings);
        ArgumentOutOfRangeException.ThrowIfZero(timings.Count, nameof(timings));
        bool Fits(StepTiming t) => budget <= TimeSpan.Zero || t.Step * steps <= budget;
        var feasible = timings.Where(Fits).OrderBy(t => t.BatchSize).ToList();
        var table = string.Join("; ", timings.OrderBy(t => t.BatchSize).Select(t => string.Create(
            CultureInfo.InvariantCulture,
            $"{t.BatchSize}: {t.Step.TotalMilliseconds:0.0} ms, {t.ItemsPerMillisecond:0.000} items/ms{(Fits(t) ? string.Empty : ", over the budget")}")));
        if (feasible.Count == 0)
        {
            var smallest = timings.MinBy(t => t.BatchSize);
            return new BatchSizeChoice(1, timings, string.Create(
                CultureInfo.InvariantCulture,
                $"no size keeps {steps} steps within {budget.TotalMilliseconds:0} ms (size {smallest.BatchSize}: {(smallest.Step * steps).TotalMilliseconds:0} ms), so 1 ({table})"));
        }

        var best = feasible.Max(t => t.ItemsPerMillisecond);
        var pick = feasible.First(t => t.ItemsPerMillisecond >= (1 - tolerance) * best);
        return new BatchSizeChoice(pick.BatchSize, timings, string.Create(
            CultureInfo.InvariantCulture,
            $"the smallest within {tolerance:0.#%} of the best throughput {best:0.000} items/ms, {steps} steps within {(budget > TimeSpan.Zero ? $"{budget.TotalMilliseconds:0} ms" : "no budget")} ({table})"));
    }

    private static EngineInput CalibrationInput(EngineDescription engine)
    {
        var frames = Math.Min(CalibrationFrames, engine.MaxFrames);
        var referenceSamples = Math.Min(3 * engine.SampleRate, frames / 2 * engine.HopLength); // 282 of 680 frames
        return new EngineInput(new float[referenceSamples], Enumerable.Repeat(1, Math.Max(1, frames / 8)).ToArray(), frames, new SamplerSettings(NfeSteps: 16));
    }
}
