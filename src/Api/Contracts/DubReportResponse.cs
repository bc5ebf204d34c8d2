using System.Text.Json.Serialization;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Dubbing;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Api.Contracts;

/// <summary>The answer of <c>POST /v1/dub</c> with <c>report: true</c>: the track and what each cue became.</summary>
public sealed record DubReportResponse : EncodedAudioResponse
{
    private DubReportResponse(DubResult result, OutputFormat format, int? sampleRate, MemoryStream encoded)
        : base(format.Name, format.Format, SampleRateOf(format.Format, sampleRate, result.SampleRate), result.Audio.Length,
            result.SampleRate, encoded)
    {
        Cues = result.Cues.Select(c => DubCueReport.From(c, result.SampleRate)).ToList();
    }

    /// <summary>One entry per cue, in order.</summary>
    [JsonPropertyName("cues")]
    public IReadOnlyList<DubCueReport> Cues { get; }

    internal static DubReportResponse From(DubResult result, OutputFormat format, int? sampleRate, MemoryStream encoded) =>
        new(result, format, sampleRate, encoded);
}

/// <summary>What one cue became.</summary>
/// <param name="Number">1-based position in the subtitles.</param>
/// <param name="Id">The cue's own id (SRT number, WebVTT id), if any.</param>
/// <param name="Speaker">The WebVTT speaker, if any.</param>
/// <param name="Voice">The voice that spoke it.</param>
/// <param name="Text">What was spoken.</param>
/// <param name="StartSample">Where its speech starts in the track (the cue's start).</param>
/// <param name="RequestedSamples">The cue's length.</param>
/// <param name="ProducedSamples">The length of the speech produced for it.</param>
/// <param name="RequestedSeconds">The cue's length in seconds.</param>
/// <param name="ProducedSeconds">The produced length in seconds.</param>
/// <param name="RateFactor">Speaking rate relative to the voice's own (1 = its own pace, 2 = twice as fast).</param>
/// <param name="Fitted">Null when the cue got its length; <c>min_rate</c> or <c>max_rate</c> when the rate was held at that bound.</param>
public sealed record DubCueReport(
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("speaker")] string? Speaker,
    [property: JsonPropertyName("voice")] string Voice,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("start_sample")] long StartSample,
    [property: JsonPropertyName("requested_samples")] long RequestedSamples,
    [property: JsonPropertyName("produced_samples")] long ProducedSamples,
    [property: JsonPropertyName("requested_seconds")] double RequestedSeconds,
    [property: JsonPropertyName("produced_seconds")] double ProducedSeconds,
    [property: JsonPropertyName("rate_factor")] double RateFactor,
    [property: JsonPropertyName("fitted")] string? Fitted)
{
    internal static DubCueReport From(DubCueResult cue, int sampleRate) => new(
        cue.Cue.Number,
        cue.Cue.Id,
        cue.Cue.Speaker,
        cue.VoiceId,
        cue.Cue.Text,
        cue.StartSample,
        cue.RequestedSamples,
        cue.ProducedSamples,
        Math.Round((double)cue.RequestedSamples / sampleRate, 6),
        Math.Round((double)cue.ProducedSamples / sampleRate, 6),
        Math.Round(cue.Rate, 4),
        cue.Fit switch
        {
            RateFit.Slowest => "min_rate",
            RateFit.Fastest => "max_rate",
            _ => null,
        });
}
