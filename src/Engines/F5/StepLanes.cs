using F5Tts.Inference.Engine;
using Microsoft.Extensions.Logging;

namespace F5Tts.Engines.F5;

/// <summary>
/// The batches <see cref="BatchedF5Engine"/> keeps packed, each in its own step buffers (docs/engine.md "Two packed
/// batches"). The batch worker alternates between two batches when streams start: the running batch, and a short batch
/// of first chunks run to the end between two of its steps (docs/serving.md "First-chunk lane"). With one set of buffers
/// every switch would read back and re-pack the whole running batch (its conditioning is ≈ 3.8 MB a row at batch 16);
/// with two, switching costs nothing and a lane is re-packed only when the list it runs changes. The second lane is
/// created the first time a batch arrives that shares no item with a lane whose items are still running, so a worker that
/// never alternates never allocates it. An item is packed in at most one lane at a time.
/// </summary>
internal sealed class StepLanes : IDisposable
{
    /// <summary>Batches kept packed at once.</summary>
    public const int MaxLanes = 2;

    private readonly Func<IStepBuffers> _create;
    private readonly Func<IEngineItem, BatchedItem> _own;
    private readonly ILogger _logger;
    private readonly List<Lane> _lanes = [];
    private long _uses;
    private bool _cannotGrow;

    /// <param name="create">Makes one lane's step buffers.</param>
    /// <param name="own">The engine's check that an item is its own, as the item type the buffers take.</param>
    /// <param name="logger">For the one warning when a second lane cannot be allocated.</param>
    public StepLanes(Func<IStepBuffers> create, Func<IEngineItem, BatchedItem> own, ILogger logger)
    {
        _create = create;
        _own = own;
        _logger = logger;
        _lanes.Add(new Lane(create()));
        Last = _lanes[0];
    }

    /// <summary>The lane that ran the latest step (the first lane before any).</summary>
    public Lane Last { get; private set; }

    /// <summary>Lanes allocated so far (1 or 2).</summary>
    public int Count => _lanes.Count;

    /// <summary>
    /// One Transformer call over <paramref name="items"/>: in the lane that holds exactly this list, else after packing it
    /// into the lane chosen by <see cref="Choose"/>. Allocates nothing when the list is unchanged.
    /// </summary>
    public void Step(IReadOnlyList<IEngineItem> items)
    {
        var lane = Holding(items) ?? Repack(items.Select(_own).ToList());
        lane.Buffers.Step(lane.Members);
        lane.LatentsAhead = true;
        lane.LastUse = ++_uses;
        Last = lane;
        for (var i = 0; i < lane.Members.Count; i++)
        {
            lane.Members[i].StepsDone++;
        }
    }

    /// <summary>Writes the latest latents into <paramref name="items"/> that are packed in a lane (before Decode).</summary>
    public void SyncLatents(IReadOnlyList<BatchedItem> items)
    {
        foreach (var lane in _lanes)
        {
            if (lane.Members.Exists(items.Contains))
            {
                Sync(lane);
            }
        }
    }

    public void Dispose()
    {
        foreach (var lane in _lanes)
        {
            lane.Members.Clear();
            lane.Buffers.Dispose();
        }

        _lanes.Clear();
    }

    private Lane? Holding(IReadOnlyList<IEngineItem> items)
    {
        // Index loops: this runs at every step and must not allocate.
        for (var l = 0; l < _lanes.Count; l++)
        {
            var members = _lanes[l].Members;
            if (members.Count != items.Count)
            {
                continue;
            }

            var same = true;
            for (var i = 0; i < items.Count && same; i++)
            {
                same = ReferenceEquals(items[i], members[i]) && !members[i].IsDisposed;
            }

            if (same)
            {
                return _lanes[l];
            }
        }

        return null;
    }

    private Lane Repack(List<BatchedItem> own)
    {
        if (own.Distinct().Count() != own.Count)
        {
            throw new ArgumentException("An item appears twice in one step.", nameof(own));
        }

        var target = Choose(own);
        foreach (var other in _lanes)
        {
            if (other != target && other.Members.Exists(own.Contains))
            {
                // The item moves lanes: its newest latent comes home first, and the lane it left re-packs on its next step.
                Sync(other);
                other.Members.Clear();
            }
        }

        Sync(target);
        target.Members.Clear(); // a Pack that throws leaves no members: the next step packs again
        target.Buffers.Pack(own);
        target.Members.AddRange(own);
        return target;
    }

    /// <summary>
    /// The lane a changed batch goes to: the one sharing the most items with it (the running batch that gained or lost
    /// members stays where it is), else a lane with nothing left to step, else a new one while fewer than <see cref="MaxLanes"/> exist, else
    /// the least recently used.
    /// </summary>
    private Lane Choose(List<BatchedItem> own)
    {
        Lane? best = null;
        var bestShared = 0;
        foreach (var lane in _lanes)
        {
            var shared = lane.Members.Count(own.Contains);
            if (shared > bestShared)
            {
                (best, bestShared) = (lane, shared);
            }
        }

        if (best is not null)
        {
            return best;
        }

        if (_lanes.Find(l => l.Members.TrueForAll(m => m.IsComplete || m.IsDisposed)) is { } idle)
        {
            return idle; // nothing left to step there (finished items' latents come home before the re-pack)
        }

        if (_lanes.Count < MaxLanes && !_cannotGrow)
        {
            try
            {
                var lane = new Lane(_create());
                _lanes.Add(lane);
                return lane;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // e.g. not enough device memory for a second set of capacity buffers: alternate in one lane (re-packing).
                _cannotGrow = true;
                _logger.LogWarning(ex, "A second packed batch could not be allocated; alternating batches re-pack one set of Transformer buffers.");
            }
        }

        return _lanes.MinBy(l => l.LastUse)!;
    }

    private static void Sync(Lane lane)
    {
        if (lane.LatentsAhead && lane.Members.Count > 0)
        {
            lane.Buffers.ReadBack(lane.Members);
        }

        lane.LatentsAhead = false;
    }

    /// <summary>One packed batch: its step buffers, its members in packing order, and whether the buffers hold newer latents.</summary>
    internal sealed class Lane(IStepBuffers buffers)
    {
        public IStepBuffers Buffers { get; } = buffers;

        public List<BatchedItem> Members { get; } = [];

        public bool LatentsAhead { get; set; }

        public long LastUse { get; set; }
    }
}
