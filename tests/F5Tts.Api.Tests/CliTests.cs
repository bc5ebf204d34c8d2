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

    [Theory]
    [InlineData("--reference=/nonexistent/ref.wav", "--reference: the file /nonexistent/ref.wav does not exist.")]
    [InlineData("--text-file=/nonexistent/text.txt", "--text-file: the file /nonexistent/text.txt does not exist.")]
    [InlineData("--out=/nonexistent-dir/out.wav", "--out: the directory /nonexistent-dir does not exist.")]
    [InlineData("--model=/nonexistent-model", "the directory /nonexistent-model does not exist.")]
    [InlineData("--format=flac", "Unsupported --format 'flac'. Supported: wav, pcm, opus, mp3.")]
    [InlineData("--nfe=0", "--nfe must be a whole number from 1 to 64 (F5Tts:Synthesis:MaxNfeSteps); got '0'.")]
    [InlineData("--speed=fast", "--speed must be a number from 0.25 to 4 (F5Tts:Synthesis:MinSpeed/MaxSpeed); got 'fast'.")]
    [InlineData("--sample-rate=96000", "--sample-rate must be a whole number from 8000 to 48000; got '96000'.")]
    [InlineData("--seed=-1", "--seed must be a whole number ≥ 0; got '-1'.")]
    public async Task Bad_arguments_exit_2_with_a_clear_error_before_the_engine_loads(string argument, string message)
    {
        var (flag, value) = (argument[..argument.IndexOf('=', StringComparison.Ordinal)], argument[(argument.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var arguments = new Dictionary<string, string> { ["--text"] = "Hello.", ["--out"] = Path.Combine(Path.GetTempPath(), $"f5tts-{Guid.NewGuid():N}.wav") };
        if (flag == "--text-file")
        {
            arguments.Remove("--text");
        }

        if (flag == "--reference")
        {
            arguments["--reference-text"] = "A clip.";
        }

        arguments[flag] = value;
        var result = await ExternalTool.RunAsync("dotnet", [ServiceProcess.Dll, "synthesize", .. arguments.SelectMany(a => new[] { a.Key, a.Value })],
            null, TimeSpan.FromMinutes(1), Ct, workingDirectory: RepoPaths.Root);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        // Nothing of the engine ran: no session, no provider fallback, no output file.
        Assert.DoesNotContain("provider", result.StdOut + result.StdErr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(arguments["--out"]));
    }
}
