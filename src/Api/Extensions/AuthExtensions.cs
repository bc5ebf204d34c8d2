using F5Tts.Api.Auth;
using F5Tts.Inference.Options;

namespace F5Tts.Api.Extensions;

/// <summary>Optional API-key authentication.</summary>
public static class AuthExtensions
{
    /// <summary>Binds and validates <see cref="AuthOptions"/>.</summary>
    public static IServiceCollection AddF5TtsAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddF5TtsOptions<AuthOptions>(configuration, AuthOptions.SectionName)
            .Validate(o => o.ApiKeys.All(k => !string.IsNullOrWhiteSpace(k) && k.Length >= 16),
                "F5Tts:Auth:ApiKeys entries must be at least 16 characters and not blank.");
        services.AddSingleton<ApiKeys>();
        return services;
    }

    /// <summary>Adds the API-key check for <c>/v1/*</c> (no-op when no keys are configured).</summary>
    public static WebApplication UseF5TtsAuth(this WebApplication app)
    {
        app.UseMiddleware<ApiKeyMiddleware>();
        return app;
    }
}
