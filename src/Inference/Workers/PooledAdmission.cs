using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;

namespace F5Tts.Inference.Workers;

/// <summary>
/// A request admitted to one worker of the pool (<see cref="WorkerPool.Admit"/>): its chunks go to that worker's batcher
/// (<see cref="RequestAdmission"/>), and the worker's queued audio-seconds drop as each chunk ends, or by the chunks
/// never submitted when the request is disposed early. Not thread-safe, like the admission it wraps.
/// </summary>
internal sealed class PooledAdmission : IDisposable
{
    private readonly DeviceWorker _worker;
    private readonly RequestAdmission _inner;
    private long _unsubmittedFrames;

    public PooledAdmission(DeviceWorker worker, RequestAdmission inner, long totalFrames)
    {
        _worker = worker;
        _inner = inner;
        _unsubmittedFrames = totalFrames;
        worker.Admitted(totalFrames);
    }

    /// <summary>The worker the request was routed to.</summary>
    public string WorkerName => _worker.Name;

    /// <inheritdoc cref="RequestAdmission.Submit"/>
    public Task<SynthesisOutcome> Submit(EngineInput input, bool firstOfStream = false)
    {
        var task = _inner.Submit(input, firstOfStream);
        _unsubmittedFrames -= input.TotalFrames;
        return Track(task, _worker, input.TotalFrames);
    }

    // The caller sees the chunk end only after the worker's accounting did, so the two never disagree.
    private static async Task<SynthesisOutcome> Track(Task<SynthesisOutcome> chunk, DeviceWorker worker, long frames)
    {
        var succeeded = false;
        try
        {
            var outcome = await chunk.ConfigureAwait(false);
            succeeded = true;
            return outcome;
        }
        finally
        {
            worker.Finished(frames, succeeded);
        }
    }

    public void Dispose()
    {
        _inner.Dispose();
        if (_unsubmittedFrames > 0)
        {
            _worker.Finished(_unsubmittedFrames, succeeded: false);
            _unsubmittedFrames = 0;
        }
    }
}
