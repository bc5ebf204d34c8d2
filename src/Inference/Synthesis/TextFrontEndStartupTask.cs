using F5Tts.Inference.Health;
using F5Tts.Inference.Text;

namespace F5Tts.Inference.Synthesis;

/// <summary>
/// Builds the text front-end (jieba dictionary, pinyin tables: about a second) before readiness, so the first
/// request does not pay for it, and proves the vocabulary and dictionaries load.
/// </summary>
internal sealed class TextFrontEndStartupTask(ITextFrontEnd frontEnd) : IStartupTask
{
    public string Name => "text-frontend";

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Run(() => frontEnd.Tokenize("你好，world."), cancellationToken);
}
