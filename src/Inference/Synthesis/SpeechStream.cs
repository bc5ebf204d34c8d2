using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Workers;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Synthesis;

/// <summary>
/// One real-time synthesis whose text arrives segment by segment (the WebSocket route, docs/realtime.md). Each segment
/// is planned like a request's text (<see cref="ITextFrontEnd.Plan"/>; a long one may take several chunks), admitted
/// to the batcher and submitted at once; chunk i of the stream uses seed + i, the stream's very first chunk is marked
/// first-of-stream (it joins the running batch at the next step), and the audio is joined with the same cross-fade as
/// a whole request — so the stream equals <see cref="TtsService.SynthesizeTextSegmentsAsync"/> of the same segments.
/// One producer calls <see cref="Submit"/> and <see cref="Complete"/>, one consumer reads <see cref="ReadAllAsync"/>;
/// disposing cancels whatever is queued or running (at the next step).
/// </summary>
internal sealed class SpeechStream : IDisposable
{
    private readonly SynthesisSetup _setup;
    private readonly Func<string, SynthesisPlan> _plan;
    private readonly TimeSpan _timeout;
    private readonly CrossFade _fade;
    private readonly F5TtsMetrics _metrics;
    private readonly CancellationTokenSource _cancel;
    private readonly Channel<StreamSegment> _queue = Channel.CreateUnbounded<StreamSegment>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly Lock _lock = new();
    private List<Action>? _deferred = []; // later segments' submissions, until the first segment is done; then null
    private int _chunks;
    private int _segments;
    private int _pending;
    private long _emitted;

    internal SpeechStream(
        SynthesisSetup setup, Func<string, SynthesisPlan> plan, TimeSpan timeout, CrossFade fade, F5TtsMetrics metrics, CancellationToken cancellationToken)
    {
        _setup = setup;
        _plan = plan;
        _timeout = timeout;
        _fade = fade;
        _metrics = metrics;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Segments submitted so far.</summary>
    public int Segments => _segments;

    /// <summary>Segments submitted whose audio has not been read yet (work queued or running).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Seconds of audio read so far.</summary>
    public double AudioSeconds => (double)Interlocked.Read(ref _emitted) / TtsService.SampleRate;

    /// <summary>
    /// Plans <paramref name="text"/> and queues its chunks now; null when it has nothing to speak (punctuation only).
    /// Throws the errors a request would: a word too long for the model's window (413), a full queue (429), a
    /// service that is draining (503). Each segment has the request deadline (F5Tts:Batching:RequestTimeoutSeconds)
    /// from here to its last sample.
    /// </summary>
    public StreamSegment? Submit(string text)
    {
        var started = Stopwatch.GetTimestamp();
        SynthesisPlan plan;
        try
        {
            plan = _plan(text);
        }
        catch (TextInputException ex) when (ex.TextKind == TextErrorKind.NoSpeakableTokens)
        {
            return null;
        }

        _metrics.RecordStage(PipelineStage.Frontend, Stopwatch.GetElapsedTime(started));
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token);
        deadline.CancelAfter(_timeout);
        PooledAdmission admission;
        try
        {
            admission = _setup.Workers.Admit(plan.Chunks.Count, plan.Chunks.Sum(c => (long)c.Duration.TotalFrames), deadline.Token); // 429 / 503 now, before any work
        }
        catch
        {
            deadline.Dispose();
            throw;
        }

        var inputs = plan.Chunks.Select(c => _setup.Input(c with { Index = _chunks + c.Index })).ToList();
        var first = _chunks == 0;
        IReadOnlyList<Task<SynthesisOutcome>> jobs;
        lock (_lock)
        {
            if (first || _deferred is null)
            {
                jobs = SubmitAll(admission, inputs, first);
                if (first)
                {
                    _ = Task.WhenAll(jobs).ContinueWith(_ => ReleaseDeferred(), CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
            else
            {
                // Until the first segment's audio is done, later segments wait with their slots reserved: sharing its
                // steps, they would pad its batch to their length and hold back the first audio (as HTTP streaming does).
                var gate = new TaskCompletionSource<IReadOnlyList<Task<SynthesisOutcome>>>(TaskCreationOptions.RunContinuationsAsynchronously);
                _deferred.Add(() => gate.SetResult(SubmitAll(admission, inputs, first: false)));
                jobs = [.. inputs.Select((_, k) => gate.Task.ContinueWith(t => t.Result[k], TaskScheduler.Default).Unwrap())];
            }
        }

        _chunks += plan.Chunks.Count;
        var segment = new StreamSegment(_segments++, text, jobs, deadline, started);
        Interlocked.Increment(ref _pending);
        _queue.Writer.TryWrite(segment);
        return segment;
    }

    private static List<Task<SynthesisOutcome>> SubmitAll(PooledAdmission admission, List<Engine.EngineInput> inputs, bool first)
    {
        using (admission)
        {
            return [.. inputs.Select((input, k) => admission.Submit(input, firstOfStream: first && k == 0))];
        }
    }

    /// <summary>The first segment is done: submits the segments that waited for it, in order.</summary>
    private void ReleaseDeferred()
    {
        List<Action>? deferred;
        lock (_lock)
        {
            deferred = _deferred;
            _deferred = null;
        }

        deferred?.ForEach(submit => submit());
    }

    /// <summary>No more segments: <see cref="ReadAllAsync"/> ends after the last one's audio and the held-back tail.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// The audio of the submitted segments in order, each as soon as it is synthesised (cross-faded: the last
    /// 0.15 s of each is held back until the next one comes), then — once <see cref="Complete"/> was called — the tail.
    /// Throws <see cref="Errors.TtsException"/> when a segment fails (deadline, engine fault, cancellation).
    /// </summary>
    public async IAsyncEnumerable<StreamAudio> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var segment in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            var pieces = new List<float[]>(segment.Jobs.Count);
            try
            {
                foreach (var job in segment.Jobs)
                {
                    var outcome = await TtsService.AwaitChunkAsync(job, segment.Deadline, _timeout, _cancel.Token);
                    pieces.Add(_fade.Push(outcome.Audio));
                }
            }
            finally
            {
                await segment.Deadline.CancelAsync(); // frees the other chunks of a failed segment
                segment.Deadline.Dispose();
                Interlocked.Decrement(ref _pending);
            }

            var audio = AudioPieces.Concat(pieces);
            var start = Interlocked.Read(ref _emitted);
            Interlocked.Add(ref _emitted, audio.Length);
            yield return new StreamAudio(segment, Seconds(start), Seconds(audio.Length + _fade.HeldSamples), audio);
        }

        var tail = _fade.Complete();
        var end = Interlocked.Add(ref _emitted, tail.Length);
        yield return new StreamAudio(null, Seconds(end - tail.Length), Seconds(tail.Length), tail);
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var segment))
        {
            segment.Deadline.Dispose();
        }

        _cancel.Dispose();
    }

    private static double Seconds(long samples) => (double)samples / TtsService.SampleRate;
}

/// <summary>A segment of a <see cref="SpeechStream"/>, queued in the batcher.</summary>
/// <param name="Index">0-based position in the stream.</param>
/// <param name="Text">The segment's text as submitted.</param>
/// <param name="Jobs">Its chunks' jobs, in order.</param>
/// <param name="Deadline">Its deadline, linked to the stream's cancellation.</param>
/// <param name="SubmittedTimestamp">When it was submitted (<see cref="Stopwatch"/> ticks).</param>
internal sealed record StreamSegment(
    int Index, string Text, IReadOnlyList<Task<SynthesisOutcome>> Jobs, CancellationTokenSource Deadline, long SubmittedTimestamp);

/// <summary>Audio of a <see cref="SpeechStream"/> that is final now.</summary>
/// <param name="Segment">The segment it belongs to; null for the held-back tail at the end.</param>
/// <param name="StartSeconds">Where it starts in the stream (for a segment, where its fade-in with the one before begins).</param>
/// <param name="DurationSeconds">The segment's length including its last 0.15 s, which overlaps the next one's fade-in.</param>
/// <param name="Samples">24 kHz mono float PCM, final (ready to encode and send).</param>
internal sealed record StreamAudio(StreamSegment? Segment, double StartSeconds, double DurationSeconds, float[] Samples);
