using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Dubbing;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Api.Contracts;

/// <summary>The answer of <c>POST /v1/tts</c> with <c>timestamps: true</c>: the audio and where each text segment lies in it.</summary>
public sealed record TimestampsResponse : EncodedAudioResponse
{
    private TimestampsResponse(AudioFormat format, AudioEncoderSettings settings, long samples, MemoryStream encoded,
        IReadOnlyList<SegmentTimestamp> segments)
        : base(format.ToString().ToLowerInvariant(), format, SampleRateOf(format, settings.OutputSampleRate, settings.InputSampleRate),
            samples, TtsService.SampleRate, encoded)
    {
        Segments = segments.Select(s => SegmentTimestampDto.From(s, type: null)).ToList();
        WebVtt = Captions(segments);
    }

    /// <summary>The text segments in order, with their exact sample ranges.</summary>
    [JsonPropertyName("segments")]
    public IReadOnlyList<SegmentTimestampDto> Segments { get; }

    /// <summary>The segments as WebVTT captions (one cue per segment).</summary>
    [JsonPropertyName("webvtt")]
    public string WebVtt { get; }

    internal static TimestampsResponse From(AudioFormat format, AudioEncoderSettings settings, long samples, MemoryStream encoded,
        IReadOnlyList<SegmentTimestamp> segments) => new(format, settings, samples, encoded, segments);

    /// <summary>One WebVTT cue per segment; a cross-faded chunk's cue ends where the next one begins (cues must not overlap).</summary>
    private static string Captions(IReadOnlyList<SegmentTimestamp> segments)
    {
        var vtt = new StringBuilder("WEBVTT\n");
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            var end = i + 1 < segments.Count ? Math.Min(s.EndSample, segments[i + 1].StartSample) : s.EndSample;
            vtt.Append(CultureInfo.InvariantCulture, $"\n{i + 1}\n{Time(s.StartSample)} --> {Time(end)}\n")
                .Append(s.VoiceId is null ? string.Empty : $"<v {s.VoiceId}>")
                .Append(s.Text.Replace("\n", " ", StringComparison.Ordinal).Replace("-->", "->", StringComparison.Ordinal))
                .Append('\n');
        }

        return vtt.ToString();
    }

    private static string Time(long sample) => SubtitleParser.Format(TimeSpan.FromSeconds((double)sample / TtsService.SampleRate));
}

/// <summary>Where one text segment lies in the audio (also the <c>speech.segment</c> server-sent event).</summary>
/// <param name="Type"><c>speech.segment</c> in an event stream; absent in the JSON answer.</param>
/// <param name="Index">0-based position.</param>
/// <param name="Text">What it says (a chunk's text after normalisation).</param>
/// <param name="Voice">Its voice in a dialogue; absent for the request's voice.</param>
/// <param name="StartSample">First sample at 24 kHz (a cross-faded chunk: where its fade-in begins).</param>
/// <param name="EndSample">One past its last sample (a cross-faded chunk: where its fade-out ends).</param>
/// <param name="Start">Start in seconds.</param>
/// <param name="End">End in seconds.</param>
public sealed record SegmentTimestampDto(
    [property: JsonPropertyName("type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("voice"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Voice,
    [property: JsonPropertyName("start_sample")] long StartSample,
    [property: JsonPropertyName("end_sample")] long EndSample,
    [property: JsonPropertyName("start")] double Start,
    [property: JsonPropertyName("end")] double End)
{
    internal static SegmentTimestampDto From(SegmentTimestamp s, string? type) => new(
        type, s.Index, s.Text, s.VoiceId, s.StartSample, s.EndSample,
        Math.Round((double)s.StartSample / TtsService.SampleRate, 6), Math.Round((double)s.EndSample / TtsService.SampleRate, 6));
}
