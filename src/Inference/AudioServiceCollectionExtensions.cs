using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using F5Tts.Inference.Voices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference;

/// <summary>Registers reference-audio conditioning and the voice library.</summary>
public static class AudioServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <c>F5Tts:Audio</c> and <c>F5Tts:Voices</c> (at start), and registers
    /// <see cref="ReferenceConditioner"/> and <see cref="IVoiceRegistry"/> (loaded by a hosted service at start).
    /// Encoders need no registration: <see cref="AudioEncoders.Create"/>.
    /// </summary>
    public static IServiceCollection AddF5TtsAudio(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddF5TtsOptions<AudioOptions>(configuration, AudioOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AudioOptions>, AudioOptionsValidator>());
        services.AddF5TtsOptions<VoicesOptions>(configuration, VoicesOptions.SectionName);

        services.TryAddSingleton<ReferenceConditioner>();
        services.TryAddSingleton<VoiceRegistry>();
        services.TryAddSingleton<IVoiceRegistry>(sp => sp.GetRequiredService<VoiceRegistry>());
        services.AddHostedService<VoiceRegistryLoader>();
        return services;
    }
}
