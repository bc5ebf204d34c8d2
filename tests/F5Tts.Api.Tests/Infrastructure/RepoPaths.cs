namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>Locates the repository root (the directory holding F5Tts.Server.sln) from the test binaries.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "F5Tts.Server.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"F5Tts.Server.sln not found above {AppContext.BaseDirectory}.");
    }
}
