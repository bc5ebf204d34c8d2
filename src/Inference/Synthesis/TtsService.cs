using System.Diagnostics;
using System.Runtime.CompilerServices;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using F5Tts.Inference.Text;
using F5Tts.Inference.Voices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Synthesis;

/// <summary>
/// The request pipeline of docs/architecture.md "The path of a request": validate, resolve the reference voice, plan chunks with the text front-end
/// (ids + duration per chunk), submit every chunk to the batcher at once (chunks of one request may ride different
/// batches), and hand back the audio in order, cross-faded. Streaming and whole responses share this path, so the
/// same request and seed give the same samples either way.
/// </summary>
internal sealed partial class TtsService
{
    private readonly ITextFrontEnd _text;
    private readonly IVoiceRegistry _voices;
    private readonly ReferenceConditioner _conditioner;
    private readonly EngineHost _host;
    private readonly SynthesisOptions _options;
    private readonly BatchingOptions _batching;
    private readonly F5TtsMetrics _metrics;
    private readonly ILogger<TtsService> _logger;
    private readonly ScriptOptions _script;
    private readonly int _maxCharacters;

    public TtsService(
        ITextFrontEnd text,
        IVoiceRegistry voices,
        ReferenceConditioner conditioner,
        EngineHost host,
        IOptions<SynthesisOptions> options,
        IOptions<BatchingOptions> batching,
        F5TtsMetrics metrics,
        ILogger<TtsService> logger,
        IOptions<ScriptOptions> script,
        IOptions<TextOptions> textOptions)
    {
        _script = script.Value;
        _maxCharacters = textOptions.Value.MaxCharacters;
        _text = text;
        _voices = voices;
        _conditioner = conditioner;
        _host = host;
        _options = options.Value;
        _batching = batching.Value;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Output sample rate of the model.</summary>
    public const int SampleRate = ConditionedReference.SampleRate;

    /// <summary>The loaded model, or null before the host started.</summary>
    public EngineDescription? Model => _host.Description;

    /// <summary>The loaded model, or 503 while it is still loading.</summary>
    public EngineDescription LoadedModel => _host.LoadedModel;

    /// <summary>True when requests can be served (engine warmed up, not draining).</summary>
    public bool IsReady => _host.IsReady;

    /// <summary>Most items in one Transformer call: the configured limit, or the batch size picked at start; 503 while loading.</summary>
    public int BatchLimit => _host.BatchLimit;

    /// <summary>Synthesises the whole request and returns its audio.</summary>
    public async Task<TtsResult> SynthesizeAsync(TtsRequest request, CancellationToken cancellationToken)
    {
        TtsTiming? timing = null;
        var pieces = new List<float[]>();
        await foreach (var piece in StreamAsync(request, t => timing = t, cancellationToken))
        {
            pieces.Add(piece);
        }

        return new TtsResult(AudioPieces.Concat(pieces), SampleRate, timing!);
    }

    /// <summary>
    /// Synthesises the request chunk by chunk and yields final PCM pieces as soon as they are ready (the last
    /// cross-fade overlap of each chunk is held back until the next chunk arrives). Validation, voice and text errors
    /// are thrown before the first piece. Stopping the enumeration early (client gone) cancels the remaining chunks.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="onCompleted">Receives the timing once the last piece was produced.</param>
    /// <param name="cancellationToken">Client abort.</param>
    /// <param name="onSegment">Receives each text chunk's exact place in the audio as soon as it is known (before its
    /// last samples are yielded).</param>
    /// <param name="firstChunkAhead">Streaming: split off a short first chunk and submit it alone, the rest once it is
    /// done (all of them are admitted up front, so a request admitted before shutdown runs to its end), so the first audio is not held back by the longer chunks sharing its batch steps. Whole responses plan
    /// without the short chunk (unless <see cref="SynthesisOptions.ShortFirstChunkForWholeResponses"/>) and submit every
    /// chunk at once, which finishes soonest overall. With the same chunks the audio is the same either way
    /// (batched == alone).</param>
    public async IAsyncEnumerable<float[]> StreamAsync(
        TtsRequest request,
        Action<TtsTiming>? onCompleted,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        bool firstChunkAhead = false,
        Action<SegmentTimestamp>? onSegment = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ScriptOf(request) is { } script)
        {
            await foreach (var piece in StreamScriptAsync(request, script, onCompleted, onSegment, cancellationToken))
            {
                yield return piece;
            }

            yield break;
        }

        var frontendStarted = Stopwatch.GetTimestamp();
        var setup = Resolve(request);
        var plan = PlanSegment(setup, request.Text, shortFirstChunk: firstChunkAhead || _options.ShortFirstChunkForWholeResponses);
        _metrics.RecordStage(PipelineStage.Frontend, Stopwatch.GetElapsedTime(frontendStarted));
        await foreach (var piece in RunPlanAsync(setup, plan.Chunks, onCompleted, firstChunkAhead, cancellationToken, onSegment))
        {
            yield return piece;
        }
    }

    /// <summary>
    /// Whole synthesis of text already cut into <paramref name="segments"/>: each planned on its own (as the real-time
    /// route plans them), all chunks submitted at once, joined with the cross-fade. The real-time route's audio for the
    /// same segments and seed equals this within 1 LSB (docs/realtime.md).
    /// </summary>
    public async Task<TtsResult> SynthesizeTextSegmentsAsync(TtsRequest request, IReadOnlyList<string> segments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(segments);
        var setup = Resolve(request);
        var chunks = new List<SynthesisChunk>();
        foreach (var segment in segments)
        {
            chunks.AddRange(PlanSegment(setup, segment, shortFirstChunk: false).Chunks.Select(c => c with { Index = chunks.Count + c.Index }));
        }

        TtsTiming? timing = null;
        var pieces = new List<float[]>();
        await foreach (var piece in RunPlanAsync(setup, chunks, t => timing = t, firstChunkAhead: false, cancellationToken))
        {
            pieces.Add(piece);
        }

        return new TtsResult(AudioPieces.Concat(pieces), SampleRate, timing!);
    }

    /// <summary>
    /// Opens a real-time stream (the WebSocket route): the request's voice and settings are checked now (the same
    /// errors as a whole request), its text comes later segment by segment (<see cref="SpeechStream.Submit"/>).
    /// </summary>
    public SpeechStream OpenStream(TtsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var setup = Resolve(request);
        return new SpeechStream(setup, text => PlanSegment(setup, text, shortFirstChunk: false),
            TimeSpan.FromSeconds(_batching.RequestTimeoutSeconds), new CrossFade(SampleRate, _options.CrossFadeSeconds), _metrics, cancellationToken);
    }

    /// <summary>The request's settings resolved and checked (its own parameters first: 400 whether or not the engine is warm).</summary>
    private SynthesisSetup Resolve(TtsRequest request)
    {
        var model = _host.LoadedModel;
        var sampler = ResolveSampler(request, model);
        var speed = ResolveSpeed(request.Speed);
        var workers = _host.Workers; // 503 while warming up or draining
        var (reference, transcript) = ResolveReference(request);
        var seed = sampler.Seed ?? Random.Shared.NextInt64(0, long.MaxValue / 2);
        return new SynthesisSetup(model, sampler, seed, speed, reference, transcript, request.Normalize, workers);
    }

    private SynthesisPlan PlanSegment(SynthesisSetup setup, string text, bool shortFirstChunk) =>
        _text.Plan(text, setup.Transcript, setup.Reference.Samples.Length, setup.Speed, setup.Normalize, setup.Model.MaxFrames, shortFirstChunk);

    private async IAsyncEnumerable<float[]> RunPlanAsync(
        SynthesisSetup setup,
        IReadOnlyList<SynthesisChunk> chunks,
        Action<TtsTiming>? onCompleted,
        bool firstChunkAhead,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        Action<SegmentTimestamp>? onSegment = null)
    {
        var timeout = TimeSpan.FromSeconds(_batching.RequestTimeoutSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        // Every chunk is admitted now (413 / 429 / 503 before any work); the admission lets the later chunks of a
        // streamed response in after the first one, even once the service drains.
        using var admission = setup.Workers.Admit(chunks.Count, chunks.Sum(c => (long)c.Duration.TotalFrames), deadline.Token);
        var jobs = new List<Task<SynthesisOutcome>>(chunks.Count);
        void SubmitUpTo(int end)
        {
            for (var i = jobs.Count; i < end; i++)
            {
                jobs.Add(admission.Submit(setup.Input(chunks[i]), firstOfStream: firstChunkAhead && i == 0));
            }
        }

        var ahead = firstChunkAhead && chunks.Count > 1;
        SubmitUpTo(ahead ? 1 : chunks.Count);
        var fade = new CrossFade(SampleRate, _options.CrossFadeSeconds);
        var queueWait = TimeSpan.Zero;
        var maxBatch = 0;
        var inferenceStarted = 0L;
        var joined = 0L;
        try
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                var outcome = await AwaitChunkAsync(jobs[i], deadline, timeout, cancellationToken);
                SubmitUpTo(chunks.Count); // streaming: the rest once the first chunk is done
                if (i == 0)
                {
                    queueWait = outcome.QueueWait;
                    inferenceStarted = Stopwatch.GetTimestamp() - (long)(outcome.Inference.TotalSeconds * Stopwatch.Frequency);
                }

                maxBatch = Math.Max(maxBatch, outcome.MaxBatchSize);
                var start = fade.StartOf(joined, outcome.Audio.Length);
                joined = start + outcome.Audio.Length;
                onSegment?.Invoke(new SegmentTimestamp(i, chunks[i].Text, start, joined, null));
                var piece = fade.Push(outcome.Audio);
                if (piece.Length > 0)
                {
                    yield return piece;
                }
            }

            var tail = fade.Complete();
            if (tail.Length > 0)
            {
                yield return tail;
            }
        }
        finally
        {
            // Reached early when the consumer stops (client disconnected) or a chunk failed: free the others' slots.
            await deadline.CancelAsync();
        }

        onCompleted?.Invoke(new TtsTiming(queueWait, Stopwatch.GetElapsedTime(inferenceStarted), jobs.Count, maxBatch));
    }

    internal static async Task<SynthesisOutcome> AwaitChunkAsync(
        Task<SynthesisOutcome> job, CancellationTokenSource deadline, TimeSpan timeout, CancellationToken client)
    {
        try
        {
            return await job;
        }
        catch (OperationCanceledException ex) when (!client.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new TtsException(TtsErrorKind.DeadlineExceeded, TtsException.DeadlineExceeded(timeout).Message, innerException: ex);
        }
        catch (OperationCanceledException ex) when (client.IsCancellationRequested)
        {
            throw TtsException.Cancelled(ex);
        }
    }

    private SamplerSettings ResolveSampler(TtsRequest request, EngineDescription model)
    {
        int nfe;
        if (model.FixedNfeSteps is { } fixedNfe)
        {
            if (request.NfeSteps is { } asked && asked != fixedNfe)
            {
                throw TtsException.InvalidInput(
                    $"The loaded model ({model.Contract}) has {fixedNfe} steps baked in; nfe_steps must be omitted or {fixedNfe}.",
                    "nfe_steps");
            }

            nfe = fixedNfe;
        }
        else
        {
            nfe = request.NfeSteps ?? _options.DefaultNfeSteps;
            if (nfe < 1 || nfe > _options.MaxNfeSteps)
            {
                throw TtsException.InvalidInput($"nfe_steps must be between 1 and {_options.MaxNfeSteps}.", "nfe_steps");
            }
        }

        var cfg = request.CfgStrength ?? _options.DefaultCfgStrength;
        if (!float.IsFinite(cfg) || cfg < 0 || cfg > _options.MaxCfgStrength)
        {
            throw TtsException.InvalidInput($"cfg_strength must be between 0 and {_options.MaxCfgStrength}.", "cfg_strength");
        }

        var sway = request.Sway ?? _options.DefaultSway;
        if (!float.IsFinite(sway) || sway < -1 || sway > 1)
        {
            throw TtsException.InvalidInput("sway must be between -1 and 1.", "sway");
        }

        if (request.Seed is < 0)
        {
            throw TtsException.InvalidInput("seed must not be negative.", "seed");
        }

        return new SamplerSettings(nfe, cfg, sway, request.Seed);
    }

    private float ResolveSpeed(float? requested)
    {
        var speed = requested ?? _options.DefaultSpeed;
        if (!float.IsFinite(speed) || speed < _options.MinSpeed || speed > _options.MaxSpeed)
        {
            throw TtsException.InvalidInput($"speed must be between {_options.MinSpeed} and {_options.MaxSpeed}.", "speed");
        }

        return speed;
    }

    private (ConditionedReference Reference, string Transcript) ResolveReference(TtsRequest request)
    {
        if (request.Reference is { } inline)
        {
            if (string.IsNullOrWhiteSpace(inline.Transcript))
            {
                throw TtsException.InvalidInput("reference.text must hold the transcript of the reference audio.", "reference.text");
            }

            try
            {
                return (_conditioner.Condition(inline.Audio), inline.Transcript);
            }
            catch (AudioRequestException ex)
            {
                throw ex.ToTtsException("reference.audio");
            }
        }

        var id = string.IsNullOrWhiteSpace(request.VoiceId) ? _options.DefaultVoice : request.VoiceId;
        if (!_voices.TryGet(id, out var voice))
        {
            _logger.LogDebug("Unknown voice {Voice}", id);
            throw TtsException.VoiceNotFound(id);
        }

        return (voice.Reference, voice.Transcript);
    }
}
