using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace F5Tts.Inference.Options;

/// <summary>Resolves configured relative paths the same way everywhere (COMMON rule: against the content root).</summary>
public static class ContentRootPath
{
    /// <summary>Returns <paramref name="path"/> made absolute against <paramref name="contentRoot"/>.</summary>
    public static string Resolve(string contentRoot, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentRoot);
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetFullPath(path, contentRoot);
    }

    /// <summary>The host's content root, or the current directory where no host environment is registered.</summary>
    public static string Of(IServiceProvider services) =>
        services.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
}
