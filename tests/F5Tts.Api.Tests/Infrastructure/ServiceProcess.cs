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
    private ServiceProcess(Process process, int port)
    {
        Process = process;
        Port = port;
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
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                onOutput?.Invoke(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(process, port);
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
