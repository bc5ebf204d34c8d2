using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Health;

/// <summary>
/// Checks that the configured model directory exists, is readable and holds the files every contract needs.
/// Until the engine registers its own load + warm-up task this is the startup work readiness waits for; afterwards it
/// still fails fast with a clearer message than an ONNX Runtime load error.
/// </summary>
public sealed class ModelDirectoryStartupTask(IOptions<ModelOptions> options) : IStartupTask
{
    /// <inheritdoc />
    public string Name => "model-directory";

    /// <inheritdoc />
    public Task RunAsync(CancellationToken cancellationToken)
    {
        var directory = options.Value.Directory;
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"F5Tts:Model:Directory '{directory}' does not exist. Point it at a directory exported by tools/export (docs/export.md).");
        }

        foreach (var file in ModelOptions.RequiredFiles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"F5Tts:Model:Directory '{directory}' has no {file}; a model directory needs {string.Join(", ", ModelOptions.RequiredFiles)}.");
            }

            // Opening proves readability (permissions, broken mounts) without reading the whole graph.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (stream.Length == 0)
            {
                throw new InvalidDataException($"F5Tts:Model:Directory: {file} in '{directory}' is empty.");
            }
        }

        return Task.CompletedTask;
    }
}
