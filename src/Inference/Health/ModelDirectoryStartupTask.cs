using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Health;

/// <summary>
/// Runs <see cref="ModelDirectoryCheck"/> on the configured model directory as the first start-up task, so that a wrong
/// directory fails fast with a message naming the key and the file rather than an ONNX Runtime load error.
/// </summary>
public sealed class ModelDirectoryStartupTask(IOptions<ModelOptions> options) : IStartupTask
{
    /// <inheritdoc />
    public string Name => "model-directory";

    /// <inheritdoc />
    public Task RunAsync(CancellationToken cancellationToken)
    {
        ModelDirectoryCheck.Check(options.Value.Directory, cancellationToken);
        return Task.CompletedTask;
    }
}
