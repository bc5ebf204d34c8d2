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

/// <summary>
/// A waiting request as the admission rule sees it: its total frames, how long it has waited, and whether it is the
/// first chunk of a streamed response (<see cref="SynthesisJob.FirstOfStream"/>).
/// </summary>
internal readonly record struct Candidate(int Frames, TimeSpan Waited, bool FirstOfStream = false);

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
    /// Which waiting requests join the batch now, as indices into <paramref name="pending"/> (ascending), given the
    /// total frames of the items already in it. First chunks of streams go first (docs/serving.md "First chunk of a
    /// stream"): each joins while the batch stays within <see cref="BatchLimits.MaxBatchSize"/> items and
    /// <see cref="BatchLimits.MaxBatchFrames"/>, whatever its length — the length ratio is waived for it, because its
    /// listener is waiting for the first sound. Then the others in arrival order: a request fits while the batch stays
    /// within those limits and longest/shortest within <see cref="BatchLimits.MaxLengthRatio"/> (length buckets:
    /// padded frames cost compute but produce nothing); the first request of an empty batch always fits. A request that
    /// does not fit is passed over, unless it has waited longer than <see cref="BatchLimits.MaxBucketWait"/>: then
    /// nobody younger overtakes it, and it goes next once the batch has drained enough (no starvation of odd lengths).
    /// </summary>
    public static List<int> SelectAdmissions(IReadOnlyList<int> runningFrames, IReadOnlyList<Candidate> pending, BatchLimits limits)
    {
        ArgumentNullException.ThrowIfNull(runningFrames);
        ArgumentNullException.ThrowIfNull(pending);
        var batch = new BatchShape(runningFrames);
        var admitted = new List<int>();
        for (var i = 0; i < pending.Count && batch.Members < limits.MaxBatchSize; i++)
        {
            if (pending[i].FirstOfStream && batch.Fits(pending[i].Frames, limits, waiveRatio: true))
            {
                batch.Add(pending[i].Frames, countsForRatio: false);
                admitted.Add(i);
            }
        }

        for (var i = 0; i < pending.Count && batch.Members < limits.MaxBatchSize; i++)
        {
            var candidate = pending[i];
            if (candidate.FirstOfStream)
            {
                continue; // considered above
            }

            if (!batch.Fits(candidate.Frames, limits, waiveRatio: false))
            {
                if (candidate.Waited > limits.MaxBucketWait)
                {
                    break; // the oldest misfit goes next, once the batch has drained enough
                }

                continue;
            }

            batch.Add(candidate.Frames, countsForRatio: true);
            admitted.Add(i);
        }

        admitted.Sort();
        return admitted;
    }

    /// <summary>True when a waiting first chunk of a stream is among <paramref name="pending"/>.</summary>
    public static bool AnyFirstOfStream(IReadOnlyList<Candidate> pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        for (var i = 0; i < pending.Count; i++)
        {
            if (pending[i].FirstOfStream)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The batch as the limits see it: members, longest item (padding) and the length range of the ratio rule.</summary>
    private struct BatchShape
    {
        private int _minFrames;
        private int _ratioMax;

        public BatchShape(IReadOnlyList<int> runningFrames)
        {
            _minFrames = int.MaxValue;
            foreach (var frames in runningFrames)
            {
                _minFrames = Math.Min(_minFrames, frames);
                _ratioMax = Math.Max(_ratioMax, frames);
                MaxFrames = Math.Max(MaxFrames, frames);
            }

            Members = runningFrames.Count;
        }

        public int Members { get; private set; }

        public int MaxFrames { get; private set; }

        public readonly bool Fits(int frames, BatchLimits limits, bool waiveRatio)
        {
            if (Members == 0)
            {
                return true;
            }

            var padded = (long)(Members + 1) * Math.Max(MaxFrames, frames) <= limits.MaxBatchFrames;
            if (waiveRatio || _minFrames == int.MaxValue)
            {
                return padded; // a first chunk, or a batch of first chunks only: no length range to keep
            }

            var newMin = Math.Min(_minFrames, frames);
            var newMax = Math.Max(_ratioMax, frames);
            return padded && newMax <= newMin * limits.MaxLengthRatio;
        }

        public void Add(int frames, bool countsForRatio)
        {
            Members++;
            MaxFrames = Math.Max(MaxFrames, frames);
            if (countsForRatio)
            {
                _minFrames = Math.Min(_minFrames, frames);
                _ratioMax = Math.Max(_ratioMax, frames);
            }
        }
    }
}
