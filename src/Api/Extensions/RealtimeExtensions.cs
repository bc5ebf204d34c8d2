using F5Tts.Api.Realtime;
using F5Tts.Inference.Options;

namespace F5Tts.Api.Extensions;

/// <summary>The real-time WebSocket route (<c>/v1/tts/ws</c>, docs/realtime.md).</summary>
public static class RealtimeExtensions
{
    /// <summary>Binds and validates <see cref="RealtimeOptions"/> and registers the session counter.</summary>
    public static IServiceCollection AddF5TtsRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddF5TtsOptions<RealtimeOptions>(configuration, RealtimeOptions.SectionName);
        services.AddSingleton<RealtimeSessions>();
        return services;
    }
}
