using System.Globalization;
using System.Text.RegularExpressions;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// The README's "Using it" examples, read from README.md itself (so they cannot drift) and run as written with bash
/// and the real curl against the service started as its own process. Only the address changes (the README's
/// localhost:8080 becomes the test's free loopback port). Every curl call reports its status, media type and the
/// file it wrote; each file must decode (ffprobe) to the audio the service said it sent.
/// </summary>
public sealed partial class ReadmeExamplesTests
{
    private const string Marker = "README-CURL";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_usage_examples_run_as_written_and_produce_the_audio_they_promise()
    {
        var bash = ExternalTool.Require("bash");
        ExternalTool.Require("curl");
        var blocks = UsageBlocks(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"), Ct));
        Assert.True(blocks.Count >= 4, $"{blocks.Count} bash blocks in the README's usage section");

        var work = Directory.CreateTempSubdirectory("f5tts-readme-");
        try
        {
            await using var service = ServiceProcess.Start(new Dictionary<string, string>
            {
                ["F5Tts__Voices__Directory"] = Path.Combine(work.FullName, "voices"),
            });
            await service.WaitUntilReadyAsync(Ct);
            // Each curl reports status, media type, the file written and the audio duration header on stderr.
            var prelude = $"curl() {{ command curl --write-out '%{{stderr}}{Marker}|%{{http_code}}|%{{content_type}}|"
                + "%header{x-audio-duration}|%{filename_effective}\\n' \"$@\"; }\n";
            var calls = 0;
            foreach (var block in blocks)
            {
                var script = prelude + block.Replace("localhost:8080", $"127.0.0.1:{service.Port}", StringComparison.Ordinal);
                var result = await ExternalTool.RunAsync(bash, ["-euo", "pipefail", "-c", script], null, TimeSpan.FromMinutes(3), Ct,
                    workingDirectory: work.FullName);
                Assert.True(result.ExitCode == 0, $"README block failed ({result.ExitCode}):\n{block}\n{result.StdOut}\n{result.StdErr}");
                foreach (Match call in CurlReport().Matches(result.StdErr))
                {
                    calls++;
                    await CheckAsync(call, Path.Combine(work.FullName, call.Groups["file"].Value), block);
                }
            }

            Assert.Equal(blocks.Sum(b => CurlCall().Count(b)), calls);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The ```bash blocks between "## Using it" and the next heading (## or ###; bash comments have one #).</summary>
    private static List<string> UsageBlocks(string readme)
    {
        var start = readme.IndexOf("\n## Using it", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Using it' section");
        var next = NextHeading().Match(readme, start + 5);
        var section = readme[start..(next.Success ? next.Index : readme.Length)];
        return [.. BashBlock().Matches(section).Select(m => m.Groups[1].Value)];
    }

    private static async Task CheckAsync(Match call, string file, string block)
    {
        var status = int.Parse(call.Groups["status"].Value, CultureInfo.InvariantCulture);
        Assert.True(status is >= 200 and < 300, $"{status} from:\n{block}");
        if (call.Groups["file"].Value.Length == 0)
        {
            Assert.StartsWith("application/json", call.Groups["type"].Value, StringComparison.Ordinal);
            return;
        }

        var extension = Path.GetExtension(file).TrimStart('.');
        var expectedType = extension switch
        {
            "wav" => "audio/wav",
            "ogg" => "audio/ogg",
            "mp3" => "audio/mpeg",
            "pcm" => "audio/pcm",
            _ => throw new InvalidOperationException($"the README writes an unexpected file type: {file}"),
        };
        Assert.StartsWith(expectedType, call.Groups["type"].Value, StringComparison.Ordinal);

        var bytes = await File.ReadAllBytesAsync(file, Ct);
        var duration = extension == "pcm"
            ? bytes.Length / 2.0 / 24_000 // raw s16le mono at 24 kHz, as documented
            : (await Speech.ProbeAsync(bytes, extension, Ct)).Duration;
        Assert.True(duration > 0.3, $"{file}: {duration} s of audio");
        if (double.TryParse(call.Groups["seconds"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var promised))
        {
            // Whole responses say how much audio they carry; codecs pad the end (opus pre-skip, mp3 frames): 0.1 s.
            Assert.InRange(duration, promised - 0.01, promised + 0.1);
        }
    }

    [GeneratedRegex(@"^```bash\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"^README-CURL\|(?<status>\d{3})\|(?<type>[^|]*)\|(?<seconds>[^|]*)\|(?<file>[^|\n]*)$", RegexOptions.Multiline)]
    private static partial Regex CurlReport();

    [GeneratedRegex(@"^#{2,3} ", RegexOptions.Multiline)]
    private static partial Regex NextHeading();

    [GeneratedRegex(@"^curl ", RegexOptions.Multiline)]
    private static partial Regex CurlCall();
}
