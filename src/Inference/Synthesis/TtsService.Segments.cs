using System.Diagnostics;
using F5Tts.Inference.Batching;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Synthesis;

/// <summary>Requests of several segments, each in its own voice and of its own length (docs/dub.md).</summary>
internal sealed partial class TtsService
{
    /// <summary>
    /// Synthesises every segment as one utterance of the model, all submitted to the batcher at once (segments in
    /// different voices share batches), and returns their audio in order. A segment with a target length gets exactly
    /// that many frames unless its rate would leave <paramref name="bounds"/>; one without speaks at its voice's own
    /// rate. The sampler settings, the default voice and the seed come from <paramref name="settings"/> (its text is
    /// not used); segment i uses seed + i.
    /// </summary>
    /// <param name="settings">Voice, sampler settings, seed, normalisation.</param>
    /// <param name="segments">The segments, at least one.</param>
    /// <param name="bounds">Rate bounds of segments with a target length.</param>
    /// <param name="parameter">The request field errors in a segment are reported against.</param>
    /// <param name="cancellationToken">Client abort.</param>
    public async Task<SegmentsResult> SynthesizeSegmentsAsync(
        TtsRequest settings, IReadOnlyList<SpeechSegment> segments, RateBounds bounds, string parameter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfZero(segments.Count);
        var model = _host.LoadedModel;
        var frontendStarted = Stopwatch.GetTimestamp();
        var sampler = ResolveSampler(settings, model);
        var scheduler = _host.Scheduler; // 503 while warming up or draining
        var planned = segments.Select(s => PlanSegment(s, settings, bounds, model.MaxFrames, parameter)).ToList();
        _metrics.RecordStage(PipelineStage.Frontend, Stopwatch.GetElapsedTime(frontendStarted));

        var timeout = TimeSpan.FromSeconds(_batching.RequestTimeoutSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var seed = sampler.Seed ?? Random.Shared.NextInt64(0, long.MaxValue / 2);
        using var admission = scheduler.Admit(planned.Count, deadline.Token);
        var jobs = planned.Select((p, i) => admission.Submit(p.Input with { Sampler = sampler with { Seed = seed + i } })).ToList();
        try
        {
            var results = new List<SegmentAudio>(planned.Count);
            var queueWait = TimeSpan.Zero;
            var maxBatch = 0;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < planned.Count; i++)
            {
                var outcome = await AwaitChunkAsync(jobs[i], deadline, timeout, cancellationToken);
                if (i == 0)
                {
                    queueWait = outcome.QueueWait;
                }

                maxBatch = Math.Max(maxBatch, outcome.MaxBatchSize);
                var p = planned[i];
                results.Add(new SegmentAudio(outcome.Audio, p.VoiceId, p.NaturalFrames, p.Frames, p.Rate, p.Fit));
            }

            return new SegmentsResult(results, new TtsTiming(queueWait, Stopwatch.GetElapsedTime(started), planned.Count, maxBatch));
        }
        finally
        {
            await deadline.CancelAsync(); // a failed segment frees the others' slots
        }
    }

    private PlannedSegment PlanSegment(SpeechSegment segment, TtsRequest settings, RateBounds bounds, int maxFrames, string parameter)
    {
        var id = segment.VoiceId ?? (string.IsNullOrWhiteSpace(settings.VoiceId) ? _options.DefaultVoice : settings.VoiceId);
        if (!_voices.TryGet(id, out var voice))
        {
            throw TtsException.InvalidInput($"{segment.Label}: voice '{id}' does not exist.", parameter);
        }

        TokenizeResult tokens;
        try
        {
            tokens = _text.Tokenize(segment.Text, voice.Transcript, settings.Normalize);
        }
        catch (TtsException ex)
        {
            throw new TtsException(ex.Kind, $"{segment.Label}: {ex.Message}", parameter, innerException: ex, code: ex.Code);
        }

        var referenceSamples = voice.Reference.Samples.Length;
        // The voice's own rate: the duration rule at speed 1, without upstream's slow-down of very short texts.
        var natural = DurationEstimator.Estimate(_text.Mode, referenceSamples, tokens.ReferenceTextBytes, tokens.GeneratedTextBytes,
            1.0, tokens.Count, int.MaxValue, applyShortTextRule: false).GeneratedFrames;
        var (frames, rate, fit) = segment.TargetSamples is { } target
            ? ExactDuration.Fit(natural, ExactDuration.FramesFor(target), bounds)
            : (natural, 1.0, RateFit.None);
        // The graphs need N > T_text: a segment with more tokens than frames gets the frames it needs.
        var total = Math.Max(ExactDuration.TotalFrames(referenceSamples, frames), tokens.Count + 1);
        if (total > maxFrames)
        {
            throw TtsException.InvalidInput(
                $"{segment.Label}: needs {total} mel frames with voice '{id}' (its reference included) but the model allows at most " +
                $"{maxFrames}; shorten it or use a voice with a shorter reference clip.", parameter);
        }

        var input = new EngineInput(voice.Reference.Samples, tokens.Ids, total, new SamplerSettings(), voice.Reference.OutputGain);
        return new PlannedSegment(input, id, natural, frames, rate, fit);
    }

    private sealed record PlannedSegment(EngineInput Input, string VoiceId, int NaturalFrames, int Frames, double Rate, RateFit Fit);
}
