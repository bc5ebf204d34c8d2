using F5Tts.Api.Errors;
using F5Tts.Api.Options;
using F5Tts.Inference.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Extensions;

/// <summary>Options owned by the host: model location, server limits, shutdown.</summary>
public static class HostOptionsExtensions
{
    /// <summary>Binds and validates <see cref="ModelOptions"/> and <see cref="ServerOptions"/> and applies the limits.</summary>
    public static IServiceCollection AddF5TtsHostOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddF5TtsModelOptions(configuration);
        services.AddF5TtsOptions<ServerOptions>(configuration, ServerOptions.SectionName);

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>((kestrel, server) =>
        {
            var limits = server.Value;
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConcurrentConnections;
            // Kestrel answers its own limits with a bare status; set them looser than the service's, which
            // RequestGuardMiddleware enforces with problem details.
            kestrel.Limits.MaxRequestLineSize = (8 * limits.MaxRequestTargetBytes) + 64;
            kestrel.Limits.MaxRequestHeadersTotalSize = 4 * limits.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestHeaderCount = 4 * limits.MaxRequestHeaderCount;
            // What Kestrel still rejects itself (a request it cannot parse) gets a problem body on the way out.
            kestrel.ConfigureEndpointDefaults(listen => listen.UseKestrelRejectionBodies());
        });
        services.AddOptions<FormOptions>().Configure<IOptions<ServerOptions>>((form, server) =>
            form.MultipartBodyLengthLimit = server.Value.MaxRequestBodyBytes);
        services.AddOptions<HostOptions>().Configure<IOptions<ServerOptions>>((host, server) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(server.Value.ShutdownTimeoutSeconds));
        return services;
    }
}
