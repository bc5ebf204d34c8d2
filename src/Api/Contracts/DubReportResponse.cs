using System.Text.Json.Serialization;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Dubbing;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Api.Contracts;

/// <summary>The answer of <c>POST /v1/dub</c> with <c>report: true</c>: the track and what each cue became.</summary>
/// <param name="Format">Format of <paramref name="Audio"/> (wav, opus, pcm, mp3).</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="SampleRate">Sample rate of the encoded audio.</param>
/// <param name="DurationSeconds">Length of the track.</param>
/// <param name="TimingSampleRate">The rate the <c>*_samples</c> fields count in: the model's 24 kHz.</param>
/// <param name="Audio">The encoded track, base64.</param>
/// <param name="Cues">One entry per cue, in order.</param>
public sealed record DubReportResponse(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("content_type")] string ContentType,
    [property: JsonPropertyName("sample_rate")] int SampleRate,
    [property: JsonPropertyName("duration_seconds")] double DurationSeconds,
    [property: JsonPropertyName("timing_sample_rate")] int TimingSampleRate,
    [property: JsonPropertyName("audio")] string Audio,
    [property: JsonPropertyName("cues")] IReadOnlyList<DubCueReport> Cues)
{
    internal static DubReportResponse From(DubResult result, OutputFormat format, int? sampleRate, MemoryStream encoded)
    {
        var rate = format.Format == F5Tts.Inference.Audio.AudioFormat.Opus ? 48_000 : sampleRate ?? result.SampleRate;
        return new DubReportResponse(
            format.Name,
            format.ContentType,
            rate,
            Math.Round((double)result.Audio.Length / result.SampleRate, 6),
            result.SampleRate,
            Convert.ToBase64String(encoded.GetBuffer(), 0, (int)encoded.Length),
            result.Cues.Select(c => DubCueReport.From(c, result.SampleRate)).ToList());
    }
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
