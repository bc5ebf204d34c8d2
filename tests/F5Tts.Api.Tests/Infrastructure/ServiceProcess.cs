using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>
/// The built service (<c>dotnet F5Tts.Api.dll</c>) started as its own process from the repository root on a free
/// loopback port, the way the README and the container run it. Killed on dispose if still running.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    private ServiceProcess(Process process, int port)
    {
        Process = process;
        Port = port;
    }

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// The first stdout line (past or future) that <paramref name="match"/> accepts. Event-driven: completes when the
    /// line is written; <paramref name="timeout"/> only bounds a service that never writes it (then it fails).
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            var earlier = _lines.FirstOrDefault(match);
            if (earlier is not null)
            {
                return earlier;
            }

            _waiters.Add((match, found));
        }

        var exited = Process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(found.Task, exited).WaitAsync(timeout, cancellationToken);
        Assert.True(first == found.Task, $"the service exited (code {(Process.HasExited ? Process.ExitCode : 0)}) before writing the expected line:\n{string.Join('\n', Lines)}");
        return await found.Task;
    }

    /// <summary>Waits until the engine has warmed up (the service is ready for synthesis).</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken) =>
        WaitForLineAsync(l => l.Contains("Engine warmed up", StringComparison.Ordinal), TimeSpan.FromMinutes(5), cancellationToken);

    private void OnLine(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Found.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The process.</summary>
    public Process Process { get; }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Base address for an HttpClient.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Path of the built service assembly (same configuration as the tests).</summary>
    public static string Dll
    {
        get
        {
            var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var dll = Path.Combine(RepoPaths.Root, "src", "Api", "bin", configuration, "net10.0", "F5Tts.Api.dll");
            Assert.True(File.Exists(dll), $"{dll} not built");
            return dll;
        }
    }

    /// <summary>Starts the service; <paramref name="onOutput"/> receives each stdout line.</summary>
    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment, Action<string>? onOutput = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        var service = new ServiceProcess(process, port);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                service.OnLine(e.Data);
                onOutput?.Invoke(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
