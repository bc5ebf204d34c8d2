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
/// services.AddF5TtsOptions&lt;BatchingOptions&gt;(configuration, BatchingOptions.SectionName)
///     .Validate(o => o.MaxBatchSize &lt;= o.QueueCapacity,
///         "F5Tts:Batching:MaxBatchSize must not exceed F5Tts:Batching:QueueCapacity");
/// </code>
/// A <c>[Range(1, 100000)]</c> on <c>QueueCapacity</c> then fails startup with
/// "The field F5Tts:Batching:QueueCapacity must be between 1 and 100000."
/// </example>
public static class F5TtsOptionsExtensions
{
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

    /// <summary>
    /// Registers <see cref="ModelOptions"/> (<c>F5Tts:Model</c>) once, however many parts ask for it (the host and the
    /// engine both do), with its directory made absolute against the content root — not against wherever the binary
    /// happens to live.
    /// </summary>
    public static IServiceCollection AddF5TtsModelOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<ModelOptions>)))
        {
            return services;
        }

        services.AddF5TtsOptions<ModelOptions>(configuration, ModelOptions.SectionName);
        services.AddSingleton<IPostConfigureOptions<ModelOptions>>(sp => new PostConfigureOptions<ModelOptions>(
            Microsoft.Extensions.Options.Options.DefaultName,
            options =>
            {
                if (!string.IsNullOrWhiteSpace(options.Directory))
                {
                    options.Directory = ContentRootPath.Resolve(ContentRootPath.Of(sp), options.Directory);
                }
            }));
        return services;
    }
}
