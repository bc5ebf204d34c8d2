using System.Diagnostics;
using System.Globalization;
using F5Tts.Api.Synthesis;
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

    /// <summary>True when the process was started as <c>synthesize …</c>.</summary>
    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "synthesize";

    /// <summary>
    /// Runs the command; returns the process exit code: 0 audio written, 1 synthesis refused or failed, 2 bad
    /// arguments (checked before the engine loads: files, format, ranges).
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        SynthesizeArguments arguments;
        try
        {
            arguments = SynthesizeArguments.Parse(args.AsSpan(1));
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{Usage}");
            return 2;
        }

        var options = arguments.Values;
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [.. arguments.Configuration],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter((category, level) => level >= LogLevel.Warning);
        AudioFormat format;
        try
        {
            format = arguments.Validate(builder.Configuration, new OutputFormats());
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }

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
            var request = await BuildRequestAsync(arguments, cancel.Token);
            var rate = arguments.Number<int>("--sample-rate");

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

    private static async Task<TtsRequest> BuildRequestAsync(SynthesizeArguments arguments, CancellationToken cancellationToken)
    {
        var o = arguments.Values;
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
            NfeSteps = arguments.Number<int>("--nfe"),
            CfgStrength = arguments.Number<float>("--cfg"),
            Sway = arguments.Number<float>("--sway"),
            Speed = arguments.Number<float>("--speed"),
            Seed = arguments.Number<long>("--seed"),
        };
    }
}
