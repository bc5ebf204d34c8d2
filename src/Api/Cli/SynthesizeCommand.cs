using System.Diagnostics;
using System.Globalization;
using F5Tts.Engines;
using F5Tts.Inference;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference.Text;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Cli;

/// <summary>
/// Offline synthesis from the command line, with the same pipeline as the service (front-end, conditioning, engine,
/// batcher) but no HTTP: <c>dotnet run --project src/Api -- synthesize --text "…" --out speech.wav</c>. Configuration
/// (model directory, providers, defaults) comes from appsettings.json, environment variables and
/// <c>--F5Tts:Section:Key=value</c> arguments exactly as for the service.
/// </summary>
internal static class SynthesizeCommand
{
    private const string Usage = """
        usage: F5Tts.Api synthesize --text TEXT | --text-file FILE --out FILE
                                    [--reference WAV_OR_MP3 --reference-text TEXT | --voice ID]
                                    [--format wav|opus|pcm|mp3] [--sample-rate HZ] [--nfe N] [--cfg X] [--sway X]
                                    [--speed X] [--seed N] [--model DIR] [--F5Tts:Section:Key=value ...]
        """;

    private static readonly string[] Flags =
    [
        "--text", "--text-file", "--out", "--reference", "--reference-text", "--voice", "--format", "--sample-rate",
        "--nfe", "--cfg", "--sway", "--speed", "--seed", "--model",
    ];

    /// <summary>True when the process was started as <c>synthesize …</c>.</summary>
    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "synthesize";

    /// <summary>Runs the command; returns the process exit code (0 ok, 1 synthesis refused or failed, 2 usage).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        Dictionary<string, string> options;
        List<string> configuration;
        try
        {
            (options, configuration) = Parse(args.AsSpan(1));
            if (!options.ContainsKey("--out") || (options.ContainsKey("--text") == options.ContainsKey("--text-file")))
            {
                throw new ArgumentException("--out and exactly one of --text / --text-file are required.");
            }

            if (options.ContainsKey("--reference") != options.ContainsKey("--reference-text"))
            {
                throw new ArgumentException("--reference needs --reference-text (the transcript of the clip), and the other way round.");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{Usage}");
            return 2;
        }

        if (options.TryGetValue("--model", out var model))
        {
            configuration.Add($"--F5Tts:Model:Directory={model}");
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [.. configuration],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter((category, level) => level >= LogLevel.Warning);
        builder.Services.AddF5TtsText(builder.Configuration);
        builder.Services.AddF5TtsAudio(builder.Configuration);
        builder.Services.AddF5TtsOnnxEngine(builder.Configuration);
        builder.Services.AddF5TtsSynthesis(builder.Configuration);

        try
        {
            using var host = builder.Build();
            await host.StartAsync(cancel.Token);
            var started = Stopwatch.GetTimestamp();
            var engine = host.Services.GetRequiredService<EngineHost>();
            await engine.RunAsync(cancel.Token); // warm-up; idempotent with the background startup task's run
            var request = await BuildRequestAsync(options, cancel.Token);
            var format = ParseFormat(options.GetValueOrDefault("--format", "wav"));
            int? rate = options.TryGetValue("--sample-rate", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : null;

            var result = await host.Services.GetRequiredService<TtsService>().SynthesizeAsync(request, cancel.Token);
            await using (var file = File.Create(options["--out"]))
            {
                await AudioEncoders.EncodeAsync(format, result.Audio, file, new AudioEncoderSettings(TtsService.SampleRate, rate), cancel.Token);
            }

            var seconds = (double)result.Audio.Length / TtsService.SampleRate;
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{options["--out"]}: {seconds:0.00} s of audio in {elapsed:0.00} s ({result.Timing.Chunks} chunk(s), RTF {elapsed / Math.Max(seconds, 1e-9):0.000}, model {engine.Description?.Model} on {engine.Description?.ProvidersByStage.GetValueOrDefault("transformer")})"));
            await host.StopAsync(CancellationToken.None);
            return 0;
        }
        catch (TtsException ex)
        {
            // Audio and voice refusals name their cause (e.g. malformed-audio); the others their kind.
            await Console.Error.WriteLineAsync($"error ({ex.Code ?? ex.Kind.ToString()}): {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OptionsValidationException or FormatException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }

    private static async Task<TtsRequest> BuildRequestAsync(Dictionary<string, string> o, CancellationToken cancellationToken)
    {
        var text = o.TryGetValue("--text", out var t) ? t : await File.ReadAllTextAsync(o["--text-file"], cancellationToken);
        InlineReference? reference = null;
        if (o.TryGetValue("--reference", out var path))
        {
            reference = new InlineReference(await File.ReadAllBytesAsync(path, cancellationToken), o["--reference-text"]);
        }

        return new TtsRequest
        {
            Text = text,
            VoiceId = o.GetValueOrDefault("--voice"),
            Reference = reference,
            NfeSteps = Number(o, "--nfe", int.Parse),
            CfgStrength = Number(o, "--cfg", float.Parse),
            Sway = Number(o, "--sway", float.Parse),
            Speed = Number(o, "--speed", float.Parse),
            Seed = Number(o, "--seed", long.Parse),
        };
    }

    private static T? Number<T>(Dictionary<string, string> o, string key, Func<string, IFormatProvider, T> parse)
        where T : struct =>
        o.TryGetValue(key, out var value) ? parse(value, CultureInfo.InvariantCulture) : null;

    private static AudioFormat ParseFormat(string name) => name switch
    {
        "wav" => AudioFormat.Wav,
        "pcm" => AudioFormat.Pcm,
        "opus" => AudioFormat.Opus,
        "mp3" => AudioFormat.Mp3,
        _ => throw TtsException.InvalidInput($"Unknown format '{name}' (wav, opus, pcm, mp3).", "format"),
    };

    private static (Dictionary<string, string> Options, List<string> Configuration) Parse(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
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

            options[arg] = args[++i];
        }

        return (options, configuration);
    }
}
