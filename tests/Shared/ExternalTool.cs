using System.Diagnostics;

namespace F5Tts.Tests;

/// <summary>
/// The one way tests find and run an external program (ffmpeg, opusinfo, promtool, chromium…). Compiled into every
/// test project (tests/Directory.Build.props). A missing program fails the test with a message naming the Debian
/// package and <c>./test.sh</c>, which installs it; tests never skip for a missing tool.
/// </summary>
public static class ExternalTool
{
    /// <summary>The Debian package of each program the tests run.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["ffmpeg"] = "ffmpeg",
        ["ffprobe"] = "ffmpeg",
        ["opusinfo"] = "opus-tools",
        ["opusenc"] = "opus-tools",
        ["opusdec"] = "opus-tools",
        ["sox"] = "sox",
        ["espeak-ng"] = "espeak-ng",
        ["promtool"] = "prometheus",
        ["yamllint"] = "yamllint",
        ["chromium"] = "chromium",
        ["node"] = "nodejs",
        ["curl"] = "curl",
        ["python3"] = "python3",
        ["bash"] = "bash",
        ["sh"] = "dash",
    };

    /// <summary>What a finished program returned.</summary>
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    /// <summary>The message a test fails with when <paramref name="name"/> is not on PATH.</summary>
    public static string MissingMessage(string name, string package) =>
        $"'{name}' is not installed: install the Debian package '{package}' (apt-get install {package}); "
        + "./test.sh installs every package the tests need.";

    /// <summary>Full path of <paramref name="name"/> on PATH; fails the test naming its package when absent.</summary>
    public static string Require(string name) =>
        Require(name, Packages.TryGetValue(name, out var package)
            ? package
            : throw new ArgumentException($"No Debian package known for '{name}'; add it to ExternalTool.", nameof(name)));

    /// <summary>Full path of <paramref name="name"/> on PATH; fails the test naming <paramref name="package"/> when absent.</summary>
    public static string Require(string name, string package)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new MissingToolException(MissingMessage(name, package));
    }

    /// <summary>Runs a program to completion (bounded by <paramref name="timeout"/>), feeding <paramref name="stdin"/>.</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, string? stdin, TimeSpan timeout,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        using var process = Start(file, arguments, stdin is not null, environment, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}.");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Synchronous <see cref="RunAsync"/> for tests that have no async context.</summary>
    public static Result Run(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = Start(file, arguments, redirectStdin: false, environment: null, workingDirectory: null);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}.");
        }

        return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static Process Start(string file, IEnumerable<string> arguments, bool redirectStdin,
        IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        // A bare name goes through Require so that a missing program names its package instead of a Win32Exception.
        var path = Path.IsPathRooted(file) || file == "dotnet" ? file : Require(file);
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = redirectStdin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
    }
}

/// <summary>A program a test needs is not installed; the message names its Debian package.</summary>
public sealed class MissingToolException(string message) : Exception(message);
