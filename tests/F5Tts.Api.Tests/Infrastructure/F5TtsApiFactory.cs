using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>
/// The real host (Program) on real Kestrel at a free loopback port, content root = repository root so the root
/// appsettings.json applies, plus per-test overrides and the test-only probe endpoints (<see cref="ProbeEndpoints"/>).
/// </summary>
public class F5TtsApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly StartGate _startGate = new();
    private readonly string _voicesDirectory = Path.Combine(Path.GetTempPath(), $"f5tts-voices-{Guid.NewGuid():N}");

    public F5TtsApiFactory()
        : this(new Dictionary<string, string?>())
    {
    }

    public F5TtsApiFactory(Dictionary<string, string?> settings)
    {
        _settings = settings;
        UseKestrel(0);
    }

    /// <summary>Base address of the started Kestrel server (starts it on first use).</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            var address = addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal)
                .Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
                .Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
            return new Uri(address.EndsWith('/') ? address : address + "/");
        }
    }

    /// <summary>
    /// A plain HttpClient on the real socket (no test handler in between). Its timeout only stops a hung request: a
    /// CPU synthesis on a machine busy with other work can take far longer than on an idle one, and must not fail.
    /// </summary>
    public HttpClient CreateSocketClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>
    /// Starts the host with the start gate closed until the factory listens for the outcome, so that a failed start
    /// always surfaces Program's exception (the validation message), never ObjectDisposedException; see
    /// <see cref="StartGate"/> for the race this removes.
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = builder.Build();
        // StartAsync subscribes to ApplicationStarted and to Program's outcome before its first await returns.
        var started = host.StartAsync();
        _startGate.Open();
        started.GetAwaiter().GetResult();
        return host;
    }

    protected override void Dispose(bool disposing)
    {
        _startGate.Open();
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_voicesDirectory))
        {
            Directory.Delete(_voicesDirectory, recursive: true);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepoPaths.Root);
        // Kestrel picks the port (UseKestrel(0)); the root appsettings' Urls (port 8080) must not fight it.
        builder.UseSetting("Urls", "http://127.0.0.1:0");
        // The JSON console log of every host would bury the test report; failures are asserted on responses.
        // Uploaded voices go to a private temporary directory unless a test names one (never into the checkout).
        _settings.TryAdd("F5Tts:Voices:Directory", _voicesDirectory);
        _settings.TryAdd("Serilog:MinimumLevel:Default", "Fatal");
        _settings.TryAdd("Serilog:MinimumLevel:Override:Microsoft.AspNetCore", "Fatal");
        _settings.TryAdd("Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime", "Fatal");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ProbeEndpoints>();
            _startGate.Install(services);
        });
    }
}
