using F5Tts.Inference.Engine;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Logging;

namespace F5Tts.Inference.Batching;

/// <summary>
/// The three engine stages as <see cref="BatchWorker"/> runs them over one batch of jobs — the running batch or the
/// first-chunk lane: Preprocess for the jobs just admitted, one Transformer step, Decode of the jobs that finished.
/// Each records its metrics and confines a fault to the jobs it concerns; the worker decides which batch runs when.
/// </summary>
internal sealed class BatchStages
{
    private readonly ITtsEngine _engine;
    private readonly BatchingOptions _options;
    private readonly F5TtsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly int _prepareParallelism;

    public BatchStages(ITtsEngine engine, BatchingOptions options, JobLedger ledger, ILogger logger, string name)
    {
        _engine = engine;
        _options = options;
        _metrics = ledger.Metrics;
        _time = ledger.Time;
        _logger = logger;
        _name = name;
        _prepareParallelism = engine.ConcurrentPrepare ? Math.Max(1, options.PrepareParallelism) : 1;
    }

    /// <summary>
    /// Runs Preprocess for the jobs just admitted and adds them to <paramref name="batch"/> in admission order. With
    /// PrepareParallelism > 1 and an engine that allows concurrent Prepare calls, up to that many run at once (the
    /// worker waits for all): Preprocess is bound by host-side launch work, which threads overlap while the device
    /// runs the kernels of all of them (docs/serving.md "Preparing a cohort"). A failing Preprocess fails its job only.
    /// </summary>
    public void Prepare(List<SynthesisJob> admitted, List<SynthesisJob> batch, CancellationToken stop)
    {
        var items = new IEngineItem?[admitted.Count];
        var errors = new Exception?[admitted.Count];
        void PrepareOne(int k)
        {
            try
            {
                var started = _time.GetTimestamp();
                items[k] = _engine.Prepare(admitted[k].Input, stop);
                _metrics.RecordStage(PipelineStage.Preprocess, _time.GetElapsedTime(started));
            }
            catch (Exception ex)
            {
                errors[k] = ex;
            }
        }

        var parallelism = Math.Min(_prepareParallelism, admitted.Count);
        if (parallelism > 1)
        {
            Parallel.For(0, admitted.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, PrepareOne);
        }
        else
        {
            for (var k = 0; k < admitted.Count; k++)
            {
                PrepareOne(k);
            }
        }

        for (var k = 0; k < admitted.Count; k++)
        {
            if (items[k] is { } item)
            {
                admitted[k].Attach(item);
                batch.Add(admitted[k]);
            }
            else if (errors[k] is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                _logger.LogError(errors[k], "Preprocess failed for one request on {Worker}", _name);
                admitted[k].Fail(errors[k]!);
            }
            else
            {
                admitted[k].Fail(RequestQueue.Stopped(_options));
            }
        }

        stop.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// One Transformer call over <paramref name="batch"/>. False when the engine faulted (e.g. device out of memory):
    /// then the batch's jobs have failed and it is empty, and the worker keeps serving.
    /// </summary>
    public bool Step(List<SynthesisJob> batch, bool firstChunkLane, CancellationToken stop)
    {
        var items = new IEngineItem[batch.Count];
        var maxFrames = 0;
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = batch[i].Item!;
            maxFrames = Math.Max(maxFrames, items[i].TotalFrames);
            batch[i].MaxBatchSize = Math.Max(batch[i].MaxBatchSize, items.Length);
        }

        var started = _time.GetTimestamp();
        try
        {
            _engine.RunStep(items, stop);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _logger.LogError(ex, "Transformer step failed on {Worker}; failing the {Count} requests of this batch", _name, items.Length);
            batch.ForEach(job => job.Fail(ex));
            batch.Clear();
            return false;
        }

        _metrics.RecordStage(PipelineStage.Transformer, _time.GetElapsedTime(started));
        _metrics.RecordBatch(items.Length, (long)maxFrames * items.Length, firstChunkLane);
        return true;
    }

    /// <summary>
    /// Decodes and completes the jobs of <paramref name="batch"/> that took their last step, removing them from it.
    /// Returns when the decode ended (the moment the batch lost members), or null when none had finished.
    /// </summary>
    public long? DecodeFinished(List<SynthesisJob> batch, long step, CancellationToken stop)
    {
        var finished = batch.FindAll(j => j.Item!.IsComplete);
        if (finished.Count == 0)
        {
            return null;
        }

        batch.RemoveAll(j => j.Item!.IsComplete);
        try
        {
            var started = _time.GetTimestamp();
            var audio = _engine.Decode(finished.ConvertAll(j => j.Item!), stop);
            var decoded = _time.GetTimestamp();
            _metrics.RecordStage(PipelineStage.Decode, _time.GetElapsedTime(started, decoded));
            for (var i = 0; i < finished.Count; i++)
            {
                finished[i].Succeed(audio[i], step, decoded);
            }

            return decoded;
        }
        catch (Exception ex)
        {
            var stopped = ex is OperationCanceledException && stop.IsCancellationRequested;
            if (!stopped)
            {
                _logger.LogError(ex, "Decode failed on {Worker}; failing {Count} requests", _name, finished.Count);
            }

            finished.ForEach(job => job.Fail(stopped ? RequestQueue.Stopped(_options) : ex));
            stop.ThrowIfCancellationRequested();
            return _time.GetTimestamp();
        }
    }
}
