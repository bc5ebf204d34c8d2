using F5Tts.Inference.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Text;

/// <summary>Absolute paths of the front-end's files, resolved against the content root.</summary>
internal sealed record ResolvedTextPaths(string VocabularyPath, string? LexiconPath);

/// <summary>Registration of the text front-end.</summary>
public static class TextServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <c>F5Tts:Text</c> and registers <see cref="ITextFrontEnd"/> as a lazily built singleton
    /// (its tables load on first use; resolve it at start to warm it). The vocabulary is
    /// <c>F5Tts:Text:VocabularyPath</c>, else <c>{F5Tts:Model:Directory}/vocab.txt</c>.
    /// </summary>
    public static IServiceCollection AddF5TtsText(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddF5TtsOptions<TextOptions>(configuration, TextOptions.SectionName);
        services.AddSingleton<IValidateOptions<TextOptions>>(sp => new TextOptionsValidator(ContentRootPath.Of(sp)));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TextOptions>>().Value;
            var root = ContentRootPath.Of(sp);
            var vocab = options.VocabularyPath;
            if (string.IsNullOrWhiteSpace(vocab))
            {
                var modelDir = configuration["F5Tts:Model:Directory"];
                if (string.IsNullOrWhiteSpace(modelDir))
                {
                    throw new InvalidOperationException(
                        "No vocabulary: set F5Tts:Text:VocabularyPath or F5Tts:Model:Directory (which must hold vocab.txt).");
                }

                vocab = Path.Combine(modelDir, "vocab.txt");
            }

            return new ResolvedTextPaths(Path.GetFullPath(vocab, root),
                string.IsNullOrWhiteSpace(options.LexiconPath) ? null : Path.GetFullPath(options.LexiconPath, root));
        });
        services.AddSingleton<ITextFrontEnd>(sp =>
            TextFrontEnd.Create(sp.GetRequiredService<IOptions<TextOptions>>().Value, sp.GetRequiredService<ResolvedTextPaths>()));
        return services;
    }
}

/// <summary>Start-up checks that name the offending key: configured files must exist.</summary>
internal sealed class TextOptionsValidator(string contentRoot) : IValidateOptions<TextOptions>
{
    public ValidateOptionsResult Validate(string? name, TextOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.VocabularyPath) && !File.Exists(Path.GetFullPath(options.VocabularyPath, contentRoot)))
        {
            failures.Add($"F5Tts:Text:VocabularyPath: file '{options.VocabularyPath}' does not exist (relative to {contentRoot}).");
        }

        if (!string.IsNullOrWhiteSpace(options.LexiconPath) && !File.Exists(Path.GetFullPath(options.LexiconPath, contentRoot)))
        {
            failures.Add($"F5Tts:Text:LexiconPath: file '{options.LexiconPath}' does not exist (relative to {contentRoot}).");
        }

        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"F5Tts:Text:Mode: '{options.Mode}' is not one of {string.Join(", ", Enum.GetNames<UpstreamMode>())}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
