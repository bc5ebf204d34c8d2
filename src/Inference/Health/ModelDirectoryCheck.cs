using F5Tts.Inference.Options;

namespace F5Tts.Inference.Health;

/// <summary>
/// The one check of a model directory and its one file list, used by the start-up task
/// (<see cref="ModelDirectoryStartupTask"/>) and by the engine before it loads a graph: the directory exists and holds
/// the files every contract needs, each readable and not empty. An f5ops export's <c>F5_TimeModulation.onnx</c> is
/// checked by the engine when the Transformer asks for it.
/// </summary>
public static class ModelDirectoryCheck
{
    public const string PreprocessFile = "F5_Preprocess.onnx";
    public const string TransformerFile = "F5_Transformer.onnx";
    public const string DecodeFile = "F5_Decode.onnx";
    public const string VocabFile = "vocab.txt";

    /// <summary>The files a model directory must contain, whatever its contract.</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } = [PreprocessFile, TransformerFile, DecodeFile, VocabFile];

    /// <summary>Checks <paramref name="directory"/> (an absolute path); the exception's message names the key and the file.</summary>
    /// <exception cref="DirectoryNotFoundException">No directory is configured, or it does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">A required file is empty.</exception>
    public static void Check(string directory, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new DirectoryNotFoundException($"No model directory is configured ({ModelOptions.SectionName}:Directory is empty).");
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"{ModelOptions.SectionName}:Directory '{directory}' does not exist. Point it at a directory exported by tools/export (docs/export.md).");
        }

        foreach (var file in RequiredFiles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"{file} is missing from {ModelOptions.SectionName}:Directory '{directory}' (expected {path}); a model directory needs {string.Join(", ", RequiredFiles)}.",
                    path);
            }

            // Opening proves readability (permissions, broken mounts) without reading the whole graph.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (stream.Length == 0)
            {
                throw new InvalidDataException($"{ModelOptions.SectionName}:Directory: {file} in '{directory}' is empty.");
            }
        }
    }
}
