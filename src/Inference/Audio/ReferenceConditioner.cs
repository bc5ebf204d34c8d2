using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Turns an uploaded reference clip into a <see cref="ConditionedReference"/> the way the official F5-TTS pipeline
/// does (docs/model.md "Reference audio conditioning", docs/audio.md#conditioning), except that an over-long clip is refused instead of cut.
/// Stateless and thread-safe.
/// </summary>
public sealed class ReferenceConditioner
{
    /// <summary>Upstream <c>target_rms</c>.</summary>
    public const float TargetRms = 0.1f;

    /// <summary>pydub <c>detect_leading_silence</c> threshold used by upstream.</summary>
    public const double SilenceThresholdDbfs = -42.0;

    private const int SilenceChunkMs = 10;
    private const int PadMs = 50;

    // Decoding stops well past the limit so a slightly long clip with silence around it is still measured
    // after trimming, while a huge file never turns into a huge float array.
    private const double DecodeSlackSeconds = 30;

    private readonly IOptionsMonitor<AudioOptions> _options;
    private readonly IReferenceAudioDecoder[] _otherDecoders;

    public ReferenceConditioner(IOptionsMonitor<AudioOptions> options)
        : this(options, [])
    {
    }

    /// <summary>With decoders of further containers (registered by other assemblies, e.g. FLAC by F5Tts.Engines).</summary>
    public ReferenceConditioner(IOptionsMonitor<AudioOptions> options, IEnumerable<IReferenceAudioDecoder> otherDecoders)
    {
        _options = options;
        _otherDecoders = [.. otherDecoders];
    }

    /// <summary>Checks the byte limit, decodes (docs/audio.md "Reference audio input") and conditions an upload.</summary>
    /// <exception cref="AudioRequestException">413 too large, 415 unsupported, 400 malformed/too long/too short/silent.</exception>
    public ConditionedReference Condition(byte[] upload) => Condition(Decode(upload));

    /// <summary>Checks the byte limit and decodes without conditioning.</summary>
    /// <exception cref="AudioRequestException">413 too large, 415 unsupported, 400 malformed or far too long.</exception>
    public DecodedAudio Decode(byte[] upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var o = _options.CurrentValue;
        if (upload.Length > o.MaxReferenceBytes)
        {
            throw TooLarge(upload.Length, o.MaxReferenceBytes);
        }

        return AudioDecoder.Decode(upload, o.MaxReferenceSeconds + DecodeSlackSeconds, _otherDecoders);
    }

    /// <summary>Conditions already-decoded audio; <paramref name="enforceLimits"/> false skips the duration limits
    /// (used for the built-in voice, which must not depend on configuration).</summary>
    public ConditionedReference Condition(DecodedAudio audio, bool enforceLimits = true)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var o = _options.CurrentValue;
        var mono = audio.ToMono();
        int rate = audio.SampleRate;

        var (start, end) = FindSpeech(mono, rate, SilenceThresholdDbfs);
        if (end <= start)
        {
            throw new AudioRequestException(
                TtsErrorKind.InvalidInput,
                "reference-silent",
                $"The reference audio is silent (no 10 ms chunk reaches {SilenceThresholdDbfs} dBFS).");
        }

        double speechSeconds = (double)(end - start) / rate;
        if (enforceLimits && speechSeconds > o.MaxReferenceSeconds)
        {
            throw new AudioRequestException(
                TtsErrorKind.InvalidInput,
                "reference-too-long",
                $"The reference audio is {speechSeconds:F2} s long after trimming silence; the maximum is " +
                $"{o.MaxReferenceSeconds:0.##} s ({AudioOptions.SectionName}:MaxReferenceSeconds). Cut the clip and " +
                "its transcript together.");
        }

        if (enforceLimits && speechSeconds < o.MinReferenceSeconds)
        {
            throw new AudioRequestException(
                TtsErrorKind.InvalidInput,
                "reference-too-short",
                $"The reference audio is {speechSeconds:F2} s long after trimming silence; the minimum is " +
                $"{o.MinReferenceSeconds:0.##} s.");
        }

        var speech = mono.AsSpan(start, end - start);

        // Upstream measures RMS on the trimmed clip with its 50 ms pad, before resampling (docs/model.md "Reference audio conditioning").
        int padAtSource = rate * PadMs / 1000;
        double sumSquares = 0;
        foreach (float s in speech)
        {
            sumSquares += (double)s * s;
        }

        double rms = Math.Sqrt(sumSquares / (speech.Length + padAtSource));
        float gain = 1f, outputGain = 1f;
        if (rms < TargetRms)
        {
            gain = (float)(TargetRms / rms);
            outputGain = (float)(rms / TargetRms);
        }

        var resampled = SincResampler.Resample(speech, rate, ConditionedReference.SampleRate);
        int pad = ConditionedReference.SampleRate * PadMs / 1000;
        var samples = new float[resampled.Length + pad];
        for (int i = 0; i < resampled.Length; i++)
        {
            samples[i] = resampled[i] * gain;
        }

        return new ConditionedReference(samples, outputGain, audio.DurationSeconds, speechSeconds);
    }

    internal static AudioRequestException TooLarge(long size, long limit) =>
        new(
            TtsErrorKind.PayloadTooLarge,
            "reference-too-large",
            $"The reference audio is {size} bytes; the maximum is {limit} bytes ({AudioOptions.SectionName}:MaxReferenceBytes).");

    /// <summary>
    /// pydub <c>detect_leading_silence</c> from both ends: skip whole 10 ms chunks whose dBFS is below the threshold;
    /// the first loud chunk is kept entirely. Returns the speech span [start, end) in samples.
    /// </summary>
    internal static (int Start, int End) FindSpeech(ReadOnlySpan<float> mono, int rate, double thresholdDbfs)
    {
        int chunk = Math.Max(1, rate * SilenceChunkMs / 1000);
        double threshold = Math.Pow(10, thresholdDbfs / 20);
        double thresholdSquared = threshold * threshold;

        int start = 0;
        while (start < mono.Length && MeanSquare(mono.Slice(start, Math.Min(chunk, mono.Length - start))) < thresholdSquared)
        {
            start += chunk;
        }

        if (start >= mono.Length)
        {
            return (0, 0);
        }

        int end = mono.Length;
        while (end > start && MeanSquare(mono.Slice(Math.Max(start, end - chunk), end - Math.Max(start, end - chunk))) < thresholdSquared)
        {
            end -= chunk;
        }

        return (start, Math.Max(start, end));
    }

    private static double MeanSquare(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x)
        {
            sum += (double)v * v;
        }

        return sum / x.Length;
    }
}
