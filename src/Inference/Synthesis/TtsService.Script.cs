using System.Runtime.CompilerServices;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Text;
using F5Tts.Inference.Voices;

namespace F5Tts.Inference.Synthesis;

/// <summary>Texts with pauses and voice tags (docs/dub.md "Pauses and dialogue").</summary>
internal sealed partial class TtsService
{
    /// <summary>The script of a request that reads markup and has some; null for the plain path.</summary>
    private IReadOnlyList<ScriptItem>? ScriptOf(TtsRequest request)
    {
        if (!request.ReadMarkup)
        {
            return null;
        }

        // The limit is per request: the front-end sees each segment alone, so without this a script of many
        // segments could carry up to MaxItems × the limit.
        TextFrontEnd.ThrowIfTooLong(request.Text, _maxCharacters);

        if (request.GapSeconds is { } gap && (!double.IsFinite(gap) || gap < 0 || gap > _script.MaxGapSeconds))
        {
            throw TtsException.InvalidInput($"gap_ms must be between 0 and {_script.MaxGapSeconds * 1000:0} (F5Tts:Script:MaxGapSeconds).", "gap_ms");
        }

        return SpeechScript.Parse(request.Text, request.Dialogue, new ScriptLimits(_script.MaxPauseSeconds, _script.MaxItems));
    }

    /// <summary>
    /// Speaks a script: every speech segment in its voice (all submitted to the batcher at once), exact silence for
    /// each pause, and the request's gap between turns of different voices. Pieces come in order as soon as each
    /// segment is done, so a streamed response starts with the first segment.
    /// </summary>
    private async IAsyncEnumerable<float[]> StreamScriptAsync(
        TtsRequest request, IReadOnlyList<ScriptItem> script, Action<TtsTiming>? onCompleted, Action<SegmentTimestamp>? onSegment,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var segments = new List<SpeechSegment>();
        var silenceBefore = new List<long>();
        var pending = 0L;
        string? lastVoice = null;
        var gap = (long)Math.Round((request.GapSeconds ?? 0) * SampleRate);
        foreach (var item in script)
        {
            switch (item)
            {
                case ScriptPause pause:
                    pending += (long)Math.Round(pause.Duration.TotalSeconds * SampleRate);
                    break;
                case ScriptSpeech speech:
                    var voice = speech.Voice is null ? null : VoiceIds.FromName(speech.Voice);
                    if (segments.Count > 0 && voice != lastVoice)
                    {
                        pending += gap;
                    }

                    var label = speech.Voice is null ? $"segment {segments.Count + 1}" : $"segment {segments.Count + 1} ([{speech.Voice}])";
                    segments.Add(new SpeechSegment(label, speech.Text, voice, null));
                    silenceBefore.Add(pending);
                    pending = 0;
                    lastVoice = voice;
                    break;
            }
        }

        var index = 0;
        var position = 0L;
        await foreach (var segment in RunSegmentsAsync(request, segments, new RateBounds(0, double.MaxValue), "text", onCompleted, cancellationToken))
        {
            var silence = silenceBefore[index];
            position += silence;
            onSegment?.Invoke(new SegmentTimestamp(index, segments[index].Text, position, position + segment.Audio.Length, segment.VoiceId));
            position += segment.Audio.Length;
            index++;
            if (silence > 0)
            {
                yield return new float[silence];
            }

            yield return segment.Audio;
        }

        if (pending > 0)
        {
            yield return new float[pending];
        }
    }
}
