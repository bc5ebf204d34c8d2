using System.Diagnostics;
using System.Runtime.InteropServices;
using F5Tts.Inference.Engine;

namespace F5Tts.GpuBench;

/// <summary>
/// <c>--lanes-repro SECONDS</c>: the engine's call pattern under which the service hung on an H200 (docs/benchmarks.md
/// "A CUDA-graph hang found under streamed load"), without the service and its scheduler. Batch A (9 items of 599
/// frames: bucket 16 × 640) steps until both its graphs replay. Then, for each frame count of a sweep (one new frame
/// bucket each round; later passes change B's batch bucket), batch B (7 items: bucket 8 × that count's bucket) steps
/// alternately with A — B, A, B, A — so that every ordinary (not yet captured) run of B's new graph ids comes right
/// after one of A's replays, as in the step log of the hang. <c>--repro-precapture</c> captures every graph first (all
/// ordinary runs before any replay) and then runs the same pattern on replays only: the control. A watchdog reports a
/// call that has not returned after <c>--repro-stall</c> seconds, with what it was, and ends the process with code 6
/// (the stuck thread cannot be freed); 0 when the time is up without a stall.
/// </summary>
internal static partial class LanesRepro
{
    private const int RunningItems = 9, RunningFrames = 599, NewItems = 7, FirstFrames = 700, FrameStride = 160, MaxFrames = 4000;

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void ExitNow(int status);

    /// <summary>B's item count in each pass over the sweep (default mode): batch buckets 8, 4, 16, 8.</summary>
    private static ReadOnlySpan<int> PassItems => [NewItems, 3, 13, 5];

    /// <summary>The call in progress, read by the watchdog's timer thread.</summary>
    private sealed class Watch
    {
        private long _startedAt; // Stopwatch timestamp of the call in progress; 0 between calls
        private volatile string _what = string.Empty;

        public void Call(string what, Action action)
        {
            _what = what;
            Interlocked.Exchange(ref _startedAt, Stopwatch.GetTimestamp());
            action();
            Interlocked.Exchange(ref _startedAt, 0);
        }

        public string? Stalled(double seconds)
        {
            var t = Interlocked.Read(ref _startedAt);
            return t != 0 && Stopwatch.GetElapsedTime(t).TotalSeconds > seconds ? _what : null;
        }
    }

    /// <param name="input">An input of (total frames, steps, seed).</param>
    /// <param name="precapture">
    /// Capture every graph before the pattern, all ordinary runs first: A's and each sweep bucket's two ordinary runs per
    /// parity, then every capture. The pattern then only replays. If ordinary runs after replays are what hangs, this
    /// mode does not while the default one does.
    /// </param>
    /// <param name="prepareThreads">
    /// Prepare calls of a new batch that run at once (engines allowing concurrent Prepare), as the service prepares a
    /// cohort (<c>PrepareParallelism</c>, 4); 1: one after another.
    /// </param>
    public static int Run(
        ITtsEngine engine, Func<int, int, long, EngineInput> input, int seconds, int stallSeconds, bool precapture, int prepareThreads = 1)
    {
        var watch = new Watch();
        using var watchdog = new Timer(_ =>
        {
            if (watch.Stalled(stallSeconds) is { } what)
            {
                Console.WriteLine($"LANES_REPRO hang: {what} has not returned after {stallSeconds} s");
                Console.Out.Flush();
                // Not Environment.Exit: its shutdown waits on the engine's native teardown, which waits on the stuck
                // kernel (on an H200 the process hung there and the timer reported again every second).
                ExitNow(6);
            }
        }, null, 1000, 1000);

        var ct = CancellationToken.None;
        long seed = 1;
        List<IEngineItem> Batch(int count, int frames, int steps)
        {
            var first = seed;
            seed += count;
            var items = new IEngineItem[count];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = engine.ConcurrentPrepare ? prepareThreads : 1 };
            watch.Call($"prepare of {count} x {frames} frames", () => Parallel.For(
                0, count, parallel, i => items[i] = engine.Prepare(input(frames, steps, first + i), ct)));
            return [.. items];
        }

        // One new frame bucket per round; 21 buckets (two graph ids each) and A's two stay under MaxCudaGraphs (48), and
        // 1820 frames fall in the 1856 bucket of the logged hang.
        var sweep = Enumerable.Range(0, 64).Select(k => FirstFrames + (k * FrameStride)).TakeWhile(f => f <= MaxFrames).ToList();
        var running = Batch(RunningItems, RunningFrames, 64);
        var clock = Stopwatch.StartNew();
        var (rounds, aSteps, bSteps) = (0, 0, 0);
        Console.WriteLine(
            $"LANES_REPRO {(precapture ? "precapture" : "default")}: {sweep.Count} frame buckets of {NewItems} items against {RunningItems} x {RunningFrames}, "
            + $"{(engine.ConcurrentPrepare ? prepareThreads : 1)} Prepare calls at once");
        try
        {
            void StepRunning(int times)
            {
                for (var k = 0; k < times; k++)
                {
                    if (running[0].IsComplete)
                    {
                        running.ForEach(i => i.Dispose());
                        running = Batch(RunningItems, RunningFrames, 64);
                    }

                    watch.Call($"step {aSteps} of batch A ({RunningItems} x {RunningFrames} frames)", () => engine.RunStep(running, ct));
                    aSteps++;
                }
            }

            // B (count items of `frames`) steps `times` times, with a step of A after each when `alternate`.
            void StepFresh(int count, int frames, int times, bool alternate)
            {
                var fresh = Batch(count, frames, 16);
                try
                {
                    for (var k = 0; k < times; k++)
                    {
                        watch.Call($"step {k} of batch B ({count} x {frames} frames, round {rounds})", () => engine.RunStep(fresh, ct));
                        bSteps++;
                        if (alternate)
                        {
                            StepRunning(1);
                        }
                    }
                }
                finally
                {
                    fresh.ForEach(i => i.Dispose());
                }
            }

            StepRunning(4); // two ordinary runs of each parity's graph id
            if (precapture)
            {
                sweep.ForEach(f => StepFresh(NewItems, f, 4, alternate: false));
            }

            StepRunning(4); // the captures, then replays
            if (precapture)
            {
                sweep.ForEach(f => StepFresh(NewItems, f, 2, alternate: false));
            }

            while (clock.Elapsed.TotalSeconds < seconds)
            {
                // Past the first pass the default mode changes B's batch bucket, so that its runs stay ordinary (new graph
                // ids, or past MaxCudaGraphs none); the precapture mode keeps to the buckets it captured.
                var count = precapture ? NewItems : PassItems[rounds / sweep.Count % PassItems.Length];
                StepFresh(count, sweep[rounds % sweep.Count], 6, alternate: true);
                rounds++;
            }
        }
        finally
        {
            running.ForEach(i => i.Dispose());
        }

        Console.WriteLine($"LANES_REPRO done: {rounds} rounds in {clock.Elapsed.TotalSeconds:0} s ({aSteps} steps of A, {bSteps} of B), no call past {stallSeconds} s");
        return 0;
    }
}
