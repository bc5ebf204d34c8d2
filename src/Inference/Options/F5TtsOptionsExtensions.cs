using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Options;

/// <summary>
/// The one way options are registered: bound from a configuration section, validated with data annotations whose
/// messages name the full configuration key, and validated at start so a wrong value stops the host.
/// </summary>
/// <example>
/// <code>
/// services.AddF5TtsOptions&lt;BatchingOptions&gt;(configuration, BatchingOptions.Section)
///     .Validate(o => o.MaxBatchSize &lt;= o.QueueCapacity,
///         "F5Tts:Batching:MaxBatchSize must not exceed F5Tts:Batching:QueueCapacity");
/// </code>
/// A <c>[Range(1, 100000)]</c> on <c>QueueCapacity</c> then fails startup with
/// "The field F5Tts:Batching:QueueCapacity must be between 1 and 100000."
/// </example>
public static class F5TtsOptionsExtensions
{
    /// <summary>Root configuration section of the service.</summary>
    public const string RootSection = "F5Tts";

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="sectionPath"/> (full path, e.g. <c>F5Tts:Model</c>),
    /// validates its data annotations (recursively into nested option objects) with messages that name the full key,
    /// and validates on start. Returns the builder for extra <c>.Validate(...)</c> rules; name the key in their messages.
    /// </summary>
    public static OptionsBuilder<TOptions> AddF5TtsOptions<TOptions>(
        this IServiceCollection services, IConfiguration configuration, string sectionPath)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);

        services.AddSingleton<IValidateOptions<TOptions>>(
            new KeyedDataAnnotationsValidator<TOptions>(Microsoft.Extensions.Options.Options.DefaultName, sectionPath));
        return services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(sectionPath))
            .ValidateOnStart();
    }
}
