using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>The offline command (<c>F5Tts.Api synthesize …</c>) run as its own process from the repository root.</summary>
public sealed class CliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Synthesize_writes_a_wav_from_text_and_an_inline_reference_clip()
    {
        var dir = Directory.CreateTempSubdirectory("f5tts-cli-");
        try
        {
            var reference = Path.Combine(dir.FullName, "ref.wav");
            await File.WriteAllBytesAsync(reference, TtsEndpointTests.SineWav(2.0, 22_050), Ct);
            var output = Path.Combine(dir.FullName, "out.wav");
            var result = await ExternalTool.RunAsync("dotnet",
                [ServiceProcess.Dll, "synthesize", "--text", "Hello from the command line.", "--reference", reference, "--reference-text", "A short tone.",
                 "--out", output, "--nfe", "4", "--seed", "9", $"--F5Tts:Voices:Directory={Path.Combine(dir.FullName, "voices")}"],
                null, TimeSpan.FromMinutes(2), Ct, workingDirectory: RepoPaths.Root);

            Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StdOut}\n{result.StdErr}");
            Assert.Contains("s of audio", result.StdOut, StringComparison.Ordinal);
            var probe = await Speech.ProbeAsync(await File.ReadAllBytesAsync(output, Ct), "wav", Ct);
            Assert.Equal(24_000, probe.Rate);
            Assert.True(probe.Duration > 0.5, $"{probe.Duration} s");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Missing_arguments_print_the_usage_and_exit_2()
    {
        var result = await ExternalTool.RunAsync("dotnet", [ServiceProcess.Dll, "synthesize", "--text", "no output file"], null,
            TimeSpan.FromMinutes(1), Ct, workingDirectory: RepoPaths.Root);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage:", result.StdErr, StringComparison.Ordinal);
    }
}
