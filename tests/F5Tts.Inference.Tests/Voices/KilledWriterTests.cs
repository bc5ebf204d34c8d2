using System.Diagnostics;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using F5Tts.Inference.Tests.Audio;
using F5Tts.Inference.Voices;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;

namespace F5Tts.Inference.Tests.Voices;

/// <summary>
/// Kills a real writer process (this test assembly, running <see cref="Writer_process_body"/>) while it is storing
/// voices, then restarts the registry on the same directory: every voice that is listed must load completely and no
/// temporary folder may survive. The kill lands at an arbitrary point, so the property is checked at several.
/// </summary>
public sealed class KilledWriterTests : IDisposable
{
    private const string DirVariable = "F5TTS_TEST_WRITER_DIR";
    private readonly string _root = TempDir();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static VoiceRegistry Registry(string root)
    {
        var conditioner = new ReferenceConditioner(new FixedOptionsMonitor<AudioOptions>(new AudioOptions()));
        var registry = new VoiceRegistry(conditioner, new FixedOptionsMonitor<VoicesOptions>(new VoicesOptions()),
            new Env(root), NullLogger<VoiceRegistry>.Instance);
        registry.EnsureLoaded();
        return registry;
    }

    [Fact]
    public async Task Writer_killed_mid_write_never_leaves_a_corrupt_voice()
    {
        string voices = Path.Combine(_root, "data", "voices");
        foreach (int killAfter in new[] { 1, 3, 6 })
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.ArgumentList.Add(typeof(KilledWriterTests).Assembly.Location);
            psi.ArgumentList.Add("-method");
            psi.ArgumentList.Add($"*{nameof(Writer_process_body)}");
            psi.Environment[DirVariable] = _root;
            using var child = Process.Start(psi)!;
            _ = child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            _ = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (CountVoiceFolders(voices) < killAfter && DateTime.UtcNow < deadline && !child.HasExited)
            {
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }

            Assert.False(child.HasExited, "the writer process stopped on its own");
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);

            int folders = CountVoiceFolders(voices);
            Assert.True(folders >= killAfter, $"writer produced {folders} voices before the deadline");
            using var restarted = Registry(_root);
            var listed = restarted.List().Where(v => !v.ReadOnly).ToList();
            Assert.Equal(folders, listed.Count); // every published folder is a complete voice
            Assert.All(listed, v =>
            {
                Assert.Equal($"Transcript of {v.Id}.", v.Transcript);
                Assert.InRange(v.Reference.Samples.Length, 24_000 * 3, 24_000 * 4);
            });
            Assert.Empty(Directory.GetDirectories(voices, ".*"));
        }
    }

    /// <summary>Runs only inside the child process started above; stores voices until it is killed.</summary>
    [Fact]
    public async Task Writer_process_body()
    {
        string? root = Environment.GetEnvironmentVariable(DirVariable);
        Assert.SkipWhen(root is null, "runs only as the child process of the killed-writer test");
        using var registry = Registry(root!);
        var clip = BrokenWav.Valid(Sine(300, 0.3, 3.5, 24_000));
        for (int i = 0; ; i++)
        {
            string id = $"w{Environment.ProcessId}-{i}";
            await registry.CreateAsync(new VoiceUpload(id, id, $"Transcript of {id}.", clip), CancellationToken.None);
        }
    }

    private static int CountVoiceFolders(string dir) =>
        Directory.Exists(dir) ? Directory.GetDirectories(dir).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0;

    private sealed class Env(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";

        public string ApplicationName { get; set; } = "F5Tts.Tests";

        public string ContentRootPath { get; set; } = root;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
