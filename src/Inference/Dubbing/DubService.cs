using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference.Voices;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Dubbing;

/// <summary>A subtitle document to turn into one timed track.</summary>
public sealed record DubRequest
{
    /// <summary>SRT or WebVTT text.</summary>
    public required string Subtitles { get; init; }

    /// <summary>Voice, sampler settings, seed and normalisation for every cue (the text is not used).</summary>
    public required TtsRequest Settings { get; init; }

    /// <summary>WebVTT speaker name → stored voice id; a speaker not listed must be a voice id itself.</summary>
    public IReadOnlyDictionary<string, string>? Speakers { get; init; }
}

/// <summary>What one cue became.</summary>
/// <param name="Cue">The cue.</param>
/// <param name="VoiceId">The voice that spoke it.</param>
/// <param name="StartSample">Where its audio starts in the track (the cue's start).</param>
/// <param name="RequestedSamples">The cue's length in samples.</param>
/// <param name="ProducedSamples">The length of the speech the model produced for it.</param>
/// <param name="Rate">Speaking rate relative to the voice's own (1 = its own pace, 2 = twice as fast).</param>
/// <param name="Fit">Whether the rate was held at a bound of <see cref="DubOptions"/>.</param>
public sealed record DubCueResult(SubtitleCue Cue, string VoiceId, long StartSample, long RequestedSamples, long ProducedSamples, double Rate, RateFit Fit);

/// <summary>The track and what each cue became.</summary>
/// <param name="Audio">24 kHz mono float PCM: silence with every cue's speech placed at its start.</param>
/// <param name="SampleRate">Rate of <paramref name="Audio"/>.</param>
/// <param name="Cues">One entry per cue, in order.</param>
/// <param name="Timing">Queue and inference time (<see cref="TtsTiming.Chunks"/> counts cues).</param>
public sealed record DubResult(float[] Audio, int SampleRate, IReadOnlyList<DubCueResult> Cues, TtsTiming Timing);

/// <summary>
/// Subtitle-timed synthesis (docs/dub.md): every cue is one utterance whose length is the cue's length, all cues go
/// to the batcher together, and the results are laid on a silent track at their start times.
/// </summary>
internal sealed class DubService(TtsService tts, IVoiceRegistry voices, IOptions<DubOptions> options)
{
    private readonly DubOptions _options = options.Value;

    /// <summary>Parses, synthesises and places every cue.</summary>
    public async Task<DubResult> DubAsync(DubRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Subtitles.Length > _options.MaxSubtitleCharacters)
        {
            throw TtsException.PayloadTooLarge(
                $"The subtitles hold {request.Subtitles.Length} characters, more than the {_options.MaxSubtitleCharacters} " +
                "a request may send (F5Tts:Dub:MaxSubtitleCharacters).", SubtitleException.Field);
        }

        var cues = SubtitleParser.Parse(request.Subtitles, _options);
        var rate = TtsService.SampleRate;
        var segments = cues.Select(c => new SpeechSegment(c.Label, c.Text, VoiceOf(c, request.Speakers), Samples(c.End, rate) - Samples(c.Start, rate)))
            .ToList();
        var result = await tts.SynthesizeSegmentsAsync(request.Settings, segments, new RateBounds(_options.MinRate, _options.MaxRate),
            SubtitleException.Field, cancellationToken);

        var placed = new List<DubCueResult>(cues.Count);
        for (var i = 0; i < cues.Count; i++)
        {
            var audio = result.Segments[i];
            placed.Add(new DubCueResult(cues[i], audio.VoiceId, Samples(cues[i].Start, rate), segments[i].TargetSamples!.Value,
                audio.Audio.Length, audio.Rate, audio.Fit));
        }

        var trackEnd = Samples(cues[^1].End, rate);
        var track = TrackMixer.Place(result.Segments.Select((s, i) => (placed[i].StartSample, s.Audio)).ToList(), trackEnd);
        return new DubResult(track, rate, placed, result.Timing);
    }

    /// <summary>Sample index of a time (nearest sample).</summary>
    public static long Samples(TimeSpan time, int sampleRate) => (long)Math.Round(time.Ticks * (double)sampleRate / TimeSpan.TicksPerSecond);

    /// <summary>The voice of a cue: the request's voice, or its WebVTT speaker mapped (or named) as a stored voice.</summary>
    private string? VoiceOf(SubtitleCue cue, IReadOnlyDictionary<string, string>? speakers)
    {
        if (cue.Speaker is not { } speaker)
        {
            return null;
        }

        if (speakers is not null && speakers.TryGetValue(speaker, out var mapped))
        {
            return mapped; // an unknown mapped id is refused with the cue's label when it is planned
        }

        // "Alice" speaks with the voice "alice", "Dr. Who" with "dr-who": the id a voice uploaded under that name gets.
        var asId = VoiceIds.FromName(speaker);
        if (voices.TryGet(asId, out _))
        {
            return asId;
        }

        throw new SubtitleException(
            $"{cue.Label}: speaker '{speaker}' has no voice: map it in 'speakers' (speaker → voice id) or upload a voice with the id '{asId}'.",
            cue.Number);
    }
}
