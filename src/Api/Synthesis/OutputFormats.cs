using F5Tts.Inference.Audio;
using F5Tts.Inference.Audio.Lame;
using F5Tts.Inference.Errors;

namespace F5Tts.Api.Synthesis;

/// <summary>One response format and whether this machine can produce it.</summary>
/// <param name="Name">Name a request uses (<c>format</c>, <c>response_format</c>).</param>
/// <param name="Format">The encoder format.</param>
/// <param name="Library">Shared library the encoder needs at run time, or null when built in.</param>
/// <param name="Package">Debian package that provides <paramref name="Library"/>, or null.</param>
/// <param name="Available">Whether requests for it are served.</param>
internal sealed record OutputFormat(string Name, AudioFormat Format, string? Library, string? Package, bool Available)
{
    /// <summary>The response Content-Type.</summary>
    public string ContentType => AudioEncoders.ContentTypeOf(Format);
}

/// <summary>
/// The response formats and their availability on this machine. wav, pcm and opus are built in; mp3 needs the
/// system library libmp3lame (Debian package <c>libmp3lame0</c>), which is probed once. A request for a format that
/// exists but is not installed gets 400 <see cref="UnavailableProblemType"/> naming the library and the formats
/// that are available; an unknown name gets the ordinary invalid-input 400.
/// </summary>
internal sealed class OutputFormats
{
    /// <summary>Problem type of a request for a format this machine cannot produce (README, Errors).</summary>
    public const string UnavailableProblemType = "urn:f5tts:problem:format-unavailable";

    /// <summary>The formats of a machine where libmp3lame is present exactly when <see cref="Mp3Encoder.IsAvailable"/>.</summary>
    public OutputFormats()
        : this(Mp3Encoder.IsAvailable)
    {
    }

    /// <summary>The formats with mp3 available or not (tests use false to see the unavailable path).</summary>
    public OutputFormats(bool mp3Available)
    {
        All =
        [
            new("wav", AudioFormat.Wav, null, null, true),
            new("pcm", AudioFormat.Pcm, null, null, true),
            new("opus", AudioFormat.Opus, null, null, true),
            new("mp3", AudioFormat.Mp3, "libmp3lame.so.0", "libmp3lame0", mp3Available),
        ];
        Available = All.Where(f => f.Available).Select(f => f.Name).ToList();
    }

    /// <summary>Every format the service knows, available or not.</summary>
    public IReadOnlyList<OutputFormat> All { get; }

    /// <summary>Names of the formats served on this machine.</summary>
    public IReadOnlyList<string> Available { get; }

    /// <summary>The format a request names (<paramref name="fallback"/> when it names none).</summary>
    /// <exception cref="TtsException">Unknown name: invalid input, naming the available formats.</exception>
    public OutputFormat Find(string? name, string parameter, string fallback)
    {
        var value = string.IsNullOrWhiteSpace(name) ? fallback : name.Trim().ToLowerInvariant();
        if (value == "ogg")
        {
            value = "opus"; // the container's name, accepted as an alias
        }

        return All.FirstOrDefault(f => f.Name == value)
            ?? throw TtsException.InvalidInput(
                $"Unsupported {parameter} '{(value.Length > 40 ? value[..40] + "…" : value)}'. Supported: {string.Join(", ", Available)}.", parameter);
    }

    /// <summary>The detail of the 400 for a known but unavailable format.</summary>
    public string UnavailableDetail(OutputFormat format) =>
        $"{format.Name} output needs {format.Library}, which is not installed on this server (Debian package {format.Package}). "
        + $"Available formats: {string.Join(", ", Available)}.";

    /// <summary>
    /// Writes the 400 problem for a format that is not available and returns true; false (nothing written) when it is.
    /// </summary>
    public async Task<bool> RejectUnavailableAsync(HttpContext http, OutputFormat format, string parameter)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (format.Available)
        {
            return false;
        }

        var problem = Errors.ProblemResponses.Create(http, StatusCodes.Status400BadRequest, UnavailableProblemType, UnavailableDetail(format));
        problem.Extensions["parameter"] = parameter;
        problem.Extensions["available_formats"] = Available;
        await Errors.ProblemResponses.WriteAsync(http, problem);
        return true;
    }

    /// <summary>One line for the start-up log: what is available and, for each missing format, its package.</summary>
    public string Describe()
    {
        var missing = All.Where(f => !f.Available).Select(f => $"{f.Name} (needs {f.Library}: install the Debian package {f.Package})").ToList();
        return missing.Count == 0
            ? $"Output formats: {string.Join(", ", Available)}"
            : $"Output formats: {string.Join(", ", Available)}; unavailable: {string.Join(", ", missing)}";
    }
}

/// <summary>Logs the output formats once at start-up, so an operator sees a missing library before a client does.</summary>
internal sealed partial class OutputFormatsStartupLog(OutputFormats formats, ILogger<OutputFormatsStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (formats.All.Any(f => !f.Available))
        {
            LogMissing(formats.Describe());
        }
        else
        {
            LogAll(formats.Describe());
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Formats}")]
    private partial void LogAll(string formats);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Formats}")]
    private partial void LogMissing(string formats);
}
