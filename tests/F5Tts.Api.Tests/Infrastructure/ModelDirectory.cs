namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>A temporary copy of the tiny fixture model (tests/fixtures/models/tiny-v1-batched), optionally missing files.</summary>
public sealed class ModelDirectory : IDisposable
{
    private ModelDirectory(string path) => Path = path;

    public string Path { get; }

    /// <summary>Copies the fixture model into a new directory under <paramref name="parent"/> (default: the temp folder).</summary>
    public static ModelDirectory CopyOfFixture(string? parent = null, params string[] omit)
    {
        var path = System.IO.Path.Combine(parent ?? System.IO.Path.GetTempPath(), "f5tts-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var source = System.IO.Path.Combine(RepoPaths.Root, "tests", "fixtures", "models", "tiny-v1-batched");
        foreach (var file in Directory.GetFiles(source).Where(f => !omit.Contains(System.IO.Path.GetFileName(f))))
        {
            File.Copy(file, System.IO.Path.Combine(path, System.IO.Path.GetFileName(file)));
        }

        return new ModelDirectory(path);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
