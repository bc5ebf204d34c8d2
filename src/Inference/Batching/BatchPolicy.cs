using F5Tts.Inference.Engine;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Batching;

/// <summary>The limits one Transformer call must stay within, resolved from <see cref="BatchingOptions"/> and the engine.</summary>
/// <param name="MaxBatchSize">Most items in one call (the option capped by the engine's own limit; 1 without batching).</param>
/// <param name="MaxBatchFrames">Most padded frames in one call (items × longest).</param>
/// <param name="MaxLengthRatio">Longest/shortest total frames allowed in one call.</param>
/// <param name="MaxBucketWait">A waiting request older than this is admitted next whatever its length.</param>
internal readonly record struct BatchLimits(int MaxBatchSize, int MaxBatchFrames, double MaxLengthRatio, TimeSpan MaxBucketWait)
{
    public static BatchLimits From(BatchingOptions options, EngineDescription engine)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        var maxBatch = engine.SupportsBatching ? Math.Max(1, Math.Min(options.MaxBatchSize, engine.MaxBatchSize)) : 1;
        return new BatchLimits(maxBatch, options.MaxBatchFrames, options.MaxLengthRatio, TimeSpan.FromMilliseconds(options.MaxBucketWaitMilliseconds));
    }
}

/// <summary>A waiting request as the admission rule sees it: its total frames and how long it has waited.</summary>
internal readonly record struct Candidate(int Frames, TimeSpan Waited);

/// <summary>
/// The cohort and fill policy of the batch worker as pure functions of what is running, what waits and the clock
/// (docs/serving.md "Starting a batch", "Cohorts", "Length buckets"): whether an idle worker waits for more requests and for how many, whether newcomers
/// are held for the next cohort, and which waiting requests join the running batch at a step boundary.
/// </summary>
internal static class BatchPolicy
{
    /// <summary>
    /// How many pending requests an idle worker waits for: the peak batch of its last busy period
    /// (<paramref name="lastPeak"/>, 0 for none) if that ended within <paramref name="windowMilliseconds"/> — the
    /// clients just served coming back (<c>Returning</c>: the wait is CohortWaitMilliseconds) — else the batch limit
    /// (a cold or long-idle server: MaxWaitMilliseconds).
    /// </summary>
    public static (int Target, bool Returning) FillTarget(int lastPeak, TimeSpan sinceIdle, int maxBatchSize, int windowMilliseconds) =>
        lastPeak > 0 && windowMilliseconds > 0 && sinceIdle.TotalMilliseconds <= windowMilliseconds
            ? (Math.Min(maxBatchSize, lastPeak), true)
            : (maxBatchSize, false);

    /// <summary>
    /// True when every running item has at most <paramref name="fraction"/> of its steps left (and there is one): the
    /// batch is about to finish, so waiting requests are held for the next cohort (<see cref="BatchingOptions.CohortHoldFraction"/>).
    /// </summary>
    public static bool HoldsNewcomers(IReadOnlyList<IEngineItem> running, double fraction)
    {
        ArgumentNullException.ThrowIfNull(running);
        if (fraction <= 0 || running.Count == 0)
        {
            return false;
        }

        for (var i = 0; i < running.Count; i++)
        {
            var item = running[i];
            if (item.StepsTotal - item.StepsDone > fraction * item.StepsTotal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Which waiting requests join the batch now, as indices into <paramref name="pending"/> (arrival order), given the
    /// total frames of the items already in it. A request fits while the batch stays within
    /// <see cref="BatchLimits.MaxBatchSize"/> items, items × longest within <see cref="BatchLimits.MaxBatchFrames"/>
    /// and longest/shortest within <see cref="BatchLimits.MaxLengthRatio"/> (length buckets: padded frames cost compute
    /// but produce nothing); the first request of an empty batch always fits. A request that does not fit is passed
    /// over, unless it has waited longer than <see cref="BatchLimits.MaxBucketWait"/>: then nobody younger overtakes
    /// it, and it goes next once the batch has drained enough (no starvation of odd lengths).
    /// </summary>
    public static List<int> SelectAdmissions(IReadOnlyList<int> runningFrames, IReadOnlyList<Candidate> pending, BatchLimits limits)
    {
        ArgumentNullException.ThrowIfNull(runningFrames);
        ArgumentNullException.ThrowIfNull(pending);
        var admitted = new List<int>();
        var members = runningFrames.Count;
        var minFrames = int.MaxValue;
        var maxFrames = 0;
        foreach (var frames in runningFrames)
        {
            minFrames = Math.Min(minFrames, frames);
            maxFrames = Math.Max(maxFrames, frames);
        }

        for (var i = 0; i < pending.Count && members < limits.MaxBatchSize; i++)
        {
            var candidate = pending[i];
            var newMin = Math.Min(minFrames, candidate.Frames);
            var newMax = Math.Max(maxFrames, candidate.Frames);
            var fits = members == 0
                || ((long)(members + 1) * newMax <= limits.MaxBatchFrames && newMax <= newMin * limits.MaxLengthRatio);
            if (!fits)
            {
                if (candidate.Waited > limits.MaxBucketWait)
                {
                    break; // the oldest misfit goes next, once the batch has drained enough
                }

                continue;
            }

            admitted.Add(i);
            members++;
            minFrames = newMin;
            maxFrames = newMax;
        }

        return admitted;
    }
}
