using System.Globalization;
using F5Tts.Api.Synthesis;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;

namespace F5Tts.Api.Cli;

/// <summary>
/// The arguments of <c>synthesize</c>, parsed and checked before anything heavy happens: files that must exist, the
/// output format (known and available here), numbers and their ranges (the configured <see cref="SynthesisOptions"/>
/// limits, the same the service enforces). A bad argument costs a message and exit code 2, not an engine load.
/// </summary>
internal sealed class SynthesizeArguments
{
    private static readonly string[] Flags =
    [
        "--text", "--text-file", "--out", "--reference", "--reference-text", "--voice", "--format", "--sample-rate",
        "--nfe", "--cfg", "--sway", "--speed", "--seed", "--model",
    ];

    private SynthesizeArguments(Dictionary<string, string> values, List<string> configuration)
    {
        Values = values;
        Configuration = configuration;
    }

    /// <summary>Flag → value.</summary>
    public Dictionary<string, string> Values { get; }

    /// <summary>Configuration overrides (<c>--F5Tts:Section:Key=value</c>) for the host builder.</summary>
    public List<string> Configuration { get; }

    /// <summary>Parses the arguments after <c>synthesize</c>.</summary>
    /// <exception cref="ArgumentException">Unknown flag, missing value or missing required flag.</exception>
    public static SynthesizeArguments Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var configuration = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--F5Tts:", StringComparison.Ordinal) || arg.StartsWith("--Serilog:", StringComparison.Ordinal))
            {
                configuration.Add(arg);
                continue;
            }

            if (!Flags.Contains(arg))
            {
                throw new ArgumentException($"Unknown argument '{arg}'.");
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{arg} needs a value.");
            }

            values[arg] = args[++i];
        }

        if (!values.ContainsKey("--out") || values.ContainsKey("--text") == values.ContainsKey("--text-file"))
        {
            throw new ArgumentException("--out and exactly one of --text / --text-file are required.");
        }

        if (values.ContainsKey("--reference") != values.ContainsKey("--reference-text"))
        {
            throw new ArgumentException("--reference needs --reference-text (the transcript of the clip), and the other way round.");
        }

        if (values.TryGetValue("--model", out var model))
        {
            configuration.Add($"--F5Tts:Model:Directory={model}");
        }

        return new SynthesizeArguments(values, configuration);
    }

    /// <summary>Checks files, format and numbers against <paramref name="configuration"/>; returns the format.</summary>
    /// <exception cref="ArgumentException">The first problem found, naming the flag.</exception>
    public AudioFormat Validate(IConfiguration configuration, OutputFormats formats)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(formats);
        FileExists("--text-file");
        FileExists("--reference");
        var outDirectory = Path.GetDirectoryName(Path.GetFullPath(Values["--out"]));
        if (outDirectory is not null && !Directory.Exists(outDirectory))
        {
            throw new ArgumentException($"--out: the directory {outDirectory} does not exist.");
        }

        var modelDirectory = configuration[$"{ModelOptions.SectionName}:Directory"];
        if (!string.IsNullOrEmpty(modelDirectory) && !Directory.Exists(modelDirectory))
        {
            throw new ArgumentException($"--model / {ModelOptions.SectionName}:Directory: the directory {modelDirectory} does not exist.");
        }

        OutputFormat format;
        try
        {
            format = formats.Find(Values.GetValueOrDefault("--format"), "--format", "wav");
        }
        catch (TtsException ex)
        {
            throw new ArgumentException(ex.Message);
        }

        if (!format.Available)
        {
            throw new ArgumentException($"--format: {formats.UnavailableDetail(format)}");
        }

        var limits = configuration.GetSection(SynthesisOptions.SectionName).Get<SynthesisOptions>() ?? new SynthesisOptions();
        InRange("--nfe", 1, limits.MaxNfeSteps, $"{SynthesisOptions.SectionName}:MaxNfeSteps");
        InRange("--cfg", 0, limits.MaxCfgStrength, $"{SynthesisOptions.SectionName}:MaxCfgStrength");
        InRange("--sway", -1, 1, null);
        InRange("--speed", limits.MinSpeed, limits.MaxSpeed, $"{SynthesisOptions.SectionName}:MinSpeed/MaxSpeed");
        InRange("--seed", 0, long.MaxValue, null);
        InRange("--sample-rate", AudioEncoders.MinOutputSampleRate, AudioEncoders.MaxOutputSampleRate, null);
        return format.Format;
    }

    /// <summary>An optional number (validated by <see cref="Validate"/>).</summary>
    public T? Number<T>(string flag)
        where T : struct, IParsable<T> =>
        Values.TryGetValue(flag, out var value) ? T.Parse(value, CultureInfo.InvariantCulture) : null;

    private void FileExists(string flag)
    {
        if (Values.TryGetValue(flag, out var path) && !File.Exists(path))
        {
            throw new ArgumentException($"{flag}: the file {path} does not exist.");
        }
    }

    private void InRange(string flag, double min, double max, string? key)
    {
        if (!Values.TryGetValue(flag, out var text))
        {
            return;
        }

        var integral = flag is "--nfe" or "--seed" or "--sample-rate";
        var parsed = integral
            ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole) ? whole : double.NaN
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? real : double.NaN;
        if (double.IsNaN(parsed) || parsed < min || parsed > max)
        {
            var range = max == long.MaxValue
                ? string.Create(CultureInfo.InvariantCulture, $"{(integral ? "a whole number" : "a number")} ≥ {min}")
                : string.Create(CultureInfo.InvariantCulture, $"{(integral ? "a whole number" : "a number")} from {min} to {max}");
            throw new ArgumentException($"{flag} must be {range}{(key is null ? "" : $" ({key})")}; got '{text}'.");
        }
    }
}
