using System.Diagnostics;
using F5Tts.Inference.Engine;

namespace F5Tts.GpuBench;

/// <summary>
/// <c>--lanes-repro SECONDS</c>: the engine's call pattern under which the service hung on an H200 (docs/benchmarks.md
/// "A CUDA-graph hang found under streamed load"), without the service and its scheduler. Batch A (9 items of 599
/// frames: bucket 16 × 640) steps until both its graphs replay. Then, for each frame count of a sweep (one new frame
/// bucket each round), batch B (7 items: bucket 8 × that count's bucket) steps alternately with A — B, A, B, A — so that
/// every ordinary (not yet captured) run of B's new graph ids comes right after one of A's replays, as in the step log
/// of the hang. A watchdog reports a call that has not returned after <c>--repro-stall</c> seconds, with what it was,
/// and ends the process with code 6 (the stuck thread cannot be freed); 0 when the time is up without a stall.
/// </summary>
internal static class LanesRepro
{
    private const int RunningItems = 9, RunningFrames = 599, NewItems = 7, FirstFrames = 700, FrameStride = 64, MaxFrames = 4000;

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
    public static int Run(ITtsEngine engine, Func<int, int, long, EngineInput> input, int seconds, int stallSeconds)
    {
        var watch = new Watch();
        using var watchdog = new Timer(_ =>
        {
            if (watch.Stalled(stallSeconds) is { } what)
            {
                Console.WriteLine($"LANES_REPRO hang: {what} has not returned after {stallSeconds} s");
                Console.Out.Flush();
                Environment.Exit(6);
            }
        }, null, 1000, 1000);

        var ct = CancellationToken.None;
        long seed = 1;
        List<IEngineItem> Batch(int count, int frames, int steps) =>
            Enumerable.Range(0, count).Select(_ => engine.Prepare(input(frames, steps, seed++), ct)).ToList();

        var running = Batch(RunningItems, RunningFrames, 64);
        var clock = Stopwatch.StartNew();
        var (rounds, frames, aSteps, bSteps) = (0, FirstFrames, 0, 0);
        try
        {
            void StepRunning()
            {
                if (running[0].IsComplete)
                {
                    running.ForEach(i => i.Dispose());
                    running = Batch(RunningItems, RunningFrames, 64);
                }

                watch.Call($"step {aSteps} of batch A ({RunningItems} x {RunningFrames} frames)", () => engine.RunStep(running, ct));
                aSteps++;
            }

            for (var k = 0; k < 8; k++)
            {
                StepRunning(); // two ordinary runs and the capture of each parity, then replays
            }

            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var fresh = Batch(NewItems, frames, 16);
                try
                {
                    for (var k = 0; k < 6; k++)
                    {
                        watch.Call($"step {k} of batch B ({NewItems} x {frames} frames, round {rounds})", () => engine.RunStep(fresh, ct));
                        bSteps++;
                        StepRunning();
                    }
                }
                finally
                {
                    fresh.ForEach(i => i.Dispose());
                }

                rounds++;
                frames = frames + FrameStride > MaxFrames ? FirstFrames : frames + FrameStride;
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
