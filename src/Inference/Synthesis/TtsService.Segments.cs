using System.Diagnostics;
using System.Runtime.CompilerServices;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Synthesis;

/// <summary>Requests of several segments, each in its own voice and, optionally, of its own length (docs/dub.md).</summary>
internal sealed partial class TtsService
{
    /// <summary>
    /// Synthesises every segment, all submitted to the batcher at once (segments in different voices share batches),
    /// and returns their audio in order. A segment with a target length is one utterance of exactly that many frames
    /// unless its rate would leave <paramref name="bounds"/>; one without is chunked and spoken at its voice's own
    /// rate (times the request's speed), like a <c>/v1/tts</c> text. Sampler settings, the voice of segments without
    /// one, and the seed come from <paramref name="settings"/> (its text is not used); chunk i of the request uses
    /// seed + i.
    /// </summary>
    /// <param name="settings">Voice, sampler settings, speed, seed, normalisation.</param>
    /// <param name="segments">The segments, at least one.</param>
    /// <param name="bounds">Rate bounds of segments with a target length.</param>
    /// <param name="parameter">The request field errors in a segment are reported against.</param>
    /// <param name="cancellationToken">Client abort.</param>
    public async Task<SegmentsResult> SynthesizeSegmentsAsync(
        TtsRequest settings, IReadOnlyList<SpeechSegment> segments, RateBounds bounds, string parameter, CancellationToken cancellationToken)
    {
        TtsTiming? timing = null;
        var results = new List<SegmentAudio>(segments.Count);
        await foreach (var segment in RunSegmentsAsync(settings, segments, bounds, parameter, t => timing = t, cancellationToken))
        {
            results.Add(segment);
        }

        return new SegmentsResult(results, timing!);
    }

    /// <summary>The segments' audio in order, each as soon as it and those before it are done.</summary>
    private async IAsyncEnumerable<SegmentAudio> RunSegmentsAsync(
        TtsRequest settings, IReadOnlyList<SpeechSegment> segments, RateBounds bounds, string parameter, Action<TtsTiming>? onCompleted,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfZero(segments.Count);
        var model = _host.LoadedModel;
        var frontendStarted = Stopwatch.GetTimestamp();
        var sampler = ResolveSampler(settings, model);
        var speed = ResolveSpeed(settings.Speed);
        var workers = _host.Workers; // 503 while warming up or draining
        var planned = segments.Select(s => PlanSegment(s, settings, speed, bounds, model.MaxFrames, parameter)).ToList();
        _metrics.RecordStage(PipelineStage.Frontend, Stopwatch.GetElapsedTime(frontendStarted));

        var timeout = TimeSpan.FromSeconds(_batching.RequestTimeoutSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var seed = sampler.Seed ?? Random.Shared.NextInt64(0, long.MaxValue / 2);
        var inputs = planned.SelectMany(p => p.Chunks).ToList();
        using var admission = workers.Admit(inputs.Count, inputs.Sum(i => (long)i.TotalFrames), deadline.Token);
        var jobs = inputs.Select((input, i) => admission.Submit(input with { Sampler = sampler with { Seed = seed + i } })).ToList();
        var queueWait = TimeSpan.Zero;
        var maxBatch = 0;
        var started = Stopwatch.GetTimestamp();
        var next = 0;
        try
        {
            foreach (var p in planned)
            {
                var fade = new CrossFade(SampleRate, _options.CrossFadeSeconds);
                var pieces = new List<float[]>();
                foreach (var _ in p.Chunks)
                {
                    var outcome = await AwaitChunkAsync(jobs[next], deadline, timeout, cancellationToken);
                    queueWait = next++ == 0 ? outcome.QueueWait : queueWait;
                    maxBatch = Math.Max(maxBatch, outcome.MaxBatchSize);
                    pieces.Add(fade.Push(outcome.Audio));
                }

                pieces.Add(fade.Complete());
                yield return new SegmentAudio(AudioPieces.Concat(pieces), p.VoiceId, p.NaturalFrames, p.Frames, p.Rate, p.Fit);
            }
        }
        finally
        {
            await deadline.CancelAsync(); // a failed segment or a client gone frees the others' slots
        }

        onCompleted?.Invoke(new TtsTiming(queueWait, Stopwatch.GetElapsedTime(started), inputs.Count, maxBatch));
    }

    private PlannedSegment PlanSegment(SpeechSegment segment, TtsRequest settings, float speed, RateBounds bounds, int maxFrames, string parameter)
    {
        var (voiceId, reference, transcript) = SegmentVoice(segment, settings, parameter);
        var referenceSamples = reference.Samples.Length;
        try
        {
            if (segment.TargetSamples is not { } target)
            {
                var plan = _text.Plan(segment.Text, transcript, referenceSamples, speed, settings.Normalize, maxFrames);
                var chunks = plan.Chunks.Select(c => new EngineInput(reference.Samples, c.Tokens.Ids, c.Duration.TotalFrames, new SamplerSettings(),
                    reference.OutputGain)).ToList();
                var frames = plan.Chunks.Sum(c => c.Duration.GeneratedFrames);
                return new PlannedSegment(chunks, voiceId, frames, frames, speed, RateFit.None);
            }

            var tokens = _text.Tokenize(segment.Text, transcript, settings.Normalize);
            // The voice's own rate: the duration rule at speed 1, without upstream's slow-down of very short texts.
            var natural = DurationEstimator.Estimate(_text.Mode, referenceSamples, tokens.ReferenceTextBytes, tokens.GeneratedTextBytes,
                1.0, tokens.Count, int.MaxValue, applyShortTextRule: false).GeneratedFrames;
            var (fitted, rate, fit) = ExactDuration.Fit(natural, ExactDuration.FramesFor(target), bounds);
            // The graphs need N > T_text: a segment with more tokens than frames gets the frames it needs.
            var total = Math.Max(ExactDuration.TotalFrames(referenceSamples, fitted), tokens.Count + 1);
            if (total > maxFrames)
            {
                throw TtsException.InvalidInput(
                    $"needs {total} mel frames with voice '{voiceId}' (its reference included) but the model allows at most " +
                    $"{maxFrames}; shorten it or use a voice with a shorter reference clip.", parameter);
            }

            var input = new EngineInput(reference.Samples, tokens.Ids, total, new SamplerSettings(), reference.OutputGain);
            return new PlannedSegment([input], voiceId, natural, fitted, rate, fit);
        }
        catch (TtsException ex)
        {
            throw new TtsException(ex.Kind, $"{segment.Label}: {ex.Message}", parameter, innerException: ex, code: ex.Code);
        }
    }

    /// <summary>A segment's voice: its own (a stored voice, named by the label when unknown) or the request's.</summary>
    private (string Id, ConditionedReference Reference, string Transcript) SegmentVoice(SpeechSegment segment, TtsRequest settings, string parameter)
    {
        if (segment.VoiceId is not { } id)
        {
            var (reference, transcript) = ResolveReference(settings);
            var own = settings.Reference is not null ? "inline" : string.IsNullOrWhiteSpace(settings.VoiceId) ? _options.DefaultVoice : settings.VoiceId;
            return (own, reference, transcript);
        }

        return _voices.TryGet(id, out var voice)
            ? (id, voice.Reference, voice.Transcript)
            : throw TtsException.InvalidInput($"{segment.Label}: voice '{id}' does not exist.", parameter);
    }

    private sealed record PlannedSegment(IReadOnlyList<EngineInput> Chunks, string VoiceId, int NaturalFrames, int Frames, double Rate, RateFit Fit);
}
