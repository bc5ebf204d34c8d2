using F5Tts.Inference.Options;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>A temporary directory laid out like a model directory (the readiness check looks at files, not contents).</summary>
public sealed class ModelDirectory : IDisposable
{
    public ModelDirectory(params string[] omit)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "f5tts-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        foreach (var file in ModelOptions.RequiredFiles.Except(omit))
        {
            File.WriteAllText(System.IO.Path.Combine(Path, file), "placeholder");
        }
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
