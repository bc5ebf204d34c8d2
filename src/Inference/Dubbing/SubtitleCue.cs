using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Dubbing;

/// <summary>The two subtitle formats <see cref="SubtitleParser"/> reads.</summary>
public enum SubtitleFormat
{
    /// <summary>SubRip (<c>.srt</c>): numbered cues, <c>00:00:01,000 --> 00:00:02,500</c>.</summary>
    Srt,

    /// <summary>WebVTT (<c>.vtt</c>): <c>WEBVTT</c> header, optional cue ids, <c>&lt;v Speaker&gt;</c> voice spans.</summary>
    WebVtt,
}

/// <summary>One cue of a subtitle document: what to say, when, and (WebVTT) by whom.</summary>
/// <param name="Number">1-based position in the document (what error messages and the report call "cue N").</param>
/// <param name="Id">The cue's own identifier (SRT number, WebVTT cue id), or null.</param>
/// <param name="Start">Start time.</param>
/// <param name="End">End time (after <paramref name="Start"/>).</param>
/// <param name="Text">The text to speak: lines joined with spaces, formatting tags and entities resolved.</param>
/// <param name="Speaker">The WebVTT <c>&lt;v&gt;</c> speaker name, or null.</param>
public sealed record SubtitleCue(int Number, string? Id, TimeSpan Start, TimeSpan End, string Text, string? Speaker)
{
    /// <summary>The cue's length.</summary>
    public TimeSpan Duration => End - Start;

    /// <summary>How messages name the cue: <c>cue 3</c>, or <c>cue 3 (id 'intro')</c> when it has an id of its own.</summary>
    public string Label => Describe(Number, Id);

    internal static string Describe(int number, string? id) =>
        id is null || id == number.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ? $"cue {number}"
            : $"cue {number} (id '{(id.Length > 40 ? id[..40] + "…" : id)}')";
}

/// <summary>
/// A subtitle document that cannot be used, naming the cue at fault: 400 invalid input on the <c>subtitles</c> field.
/// </summary>
public sealed class SubtitleException : TtsException
{
    /// <summary>The request field subtitle errors are reported against.</summary>
    public const string Field = "subtitles";

    /// <summary>Creates the error for cue <paramref name="cueNumber"/> (0 when the document as a whole is at fault).</summary>
    public SubtitleException(string message, int cueNumber)
        : base(TtsErrorKind.InvalidInput, message, Field) => CueNumber = cueNumber;

    public SubtitleException()
        : this("The subtitles are not valid SRT or WebVTT.", 0)
    {
    }

    public SubtitleException(string message)
        : this(message, 0)
    {
    }

    public SubtitleException(string message, Exception innerException)
        : base(TtsErrorKind.InvalidInput, message, Field, innerException: innerException)
    {
    }

    /// <summary>1-based number of the cue at fault; 0 for the document as a whole.</summary>
    public int CueNumber { get; }
}
