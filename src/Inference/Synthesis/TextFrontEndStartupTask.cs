using F5Tts.Inference.Health;
using F5Tts.Inference.Text;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Inference.Synthesis;

/// <summary>
/// Builds the text front-end (jieba dictionary, pinyin tables: about a second) before readiness, so the first
/// request does not pay for it, and proves the vocabulary and dictionaries load. Resolved here, not injected: the
/// startup-task list is built with the hosted services, before options validation has had its say.
/// </summary>
internal sealed class TextFrontEndStartupTask(IServiceProvider services) : IStartupTask
{
    public string Name => "text-frontend";

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Run(() => services.GetRequiredService<ITextFrontEnd>().Tokenize("你好，world."), cancellationToken);
}
