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
}
