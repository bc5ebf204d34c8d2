namespace F5Tts.Inference.Synthesis;

/// <summary>One synthesis request as the Inference layer sees it (HTTP contracts map onto this).</summary>
public sealed record TtsRequest
{
    /// <summary>Text to speak.</summary>
    public required string Text { get; init; }

    /// <summary>Stored voice id; ignored when <see cref="Reference"/> is given; null uses the default voice.</summary>
    public string? VoiceId { get; init; }

    /// <summary>Inline reference clip and its transcript (instead of a stored voice).</summary>
    public InlineReference? Reference { get; init; }

    /// <summary>Speaking-rate multiplier; null uses the configured default.</summary>
    public float? Speed { get; init; }

    /// <summary>Euler steps; null uses the configured default.</summary>
    public int? NfeSteps { get; init; }

    /// <summary>Classifier-free guidance strength; null uses the configured default.</summary>
    public float? CfgStrength { get; init; }

    /// <summary>Sway sampling coefficient; null uses the configured default.</summary>
    public float? Sway { get; init; }

    /// <summary>Noise seed; chunk i of a long text uses seed + i. Null draws a random seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Text normalisation on/off; null uses the configured default.</summary>
    public bool? Normalize { get; init; }

    /// <summary>Read pauses (<c>[pause 500ms]</c>, <c>&lt;break time="500ms"/&gt;</c>) in the text (docs/dub.md); off speaks it as given.</summary>
    public bool ReadMarkup { get; init; }

    /// <summary>With <see cref="ReadMarkup"/>: voice tags <c>[alice]</c> switch the voice (an unknown one is refused).</summary>
    public bool Dialogue { get; init; }

    /// <summary>Silence between dialogue turns of different voices, in seconds; null: none.</summary>
    public double? GapSeconds { get; init; }

    /// <summary>Integrated loudness (LUFS) to normalise the whole response to, true peak ≤ −1 dBTP; null leaves the level.</summary>
    public double? LoudnessLufs { get; init; }
}

/// <summary>A reference clip sent with the request.</summary>
/// <param name="Audio">The file's bytes (WAV, MP3, FLAC or Opus in Ogg/WebM).</param>
/// <param name="Transcript">Exactly what is said in the clip.</param>
public sealed record InlineReference(byte[] Audio, string Transcript);

/// <summary>The audio of a whole request and where its time went.</summary>
/// <param name="Audio">24 kHz mono float PCM.</param>
/// <param name="SampleRate">Rate of <paramref name="Audio"/>.</param>
/// <param name="Timing">Queue, inference and total time.</param>
public sealed record TtsResult(float[] Audio, int SampleRate, TtsTiming Timing);

/// <summary>Where a request's time went (sent as response headers).</summary>
/// <param name="QueueWait">Until its first chunk joined a batch.</param>
/// <param name="Inference">From the first chunk joining a batch until the last chunk was decoded.</param>
/// <param name="Chunks">Number of text chunks.</param>
/// <param name="MaxBatchSize">Largest Transformer batch any of its chunks rode in.</param>
public sealed record TtsTiming(TimeSpan QueueWait, TimeSpan Inference, int Chunks, int MaxBatchSize);
