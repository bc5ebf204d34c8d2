using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using F5Tts.Inference.Tests.Audio;
using F5Tts.Inference.Voices;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Tests.Voices;

public sealed class VoiceRegistryTests : IDisposable
{
    private readonly string _root = TempDir();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string VoicesDir => Path.Combine(_root, "data", "voices");

    /// <summary>A fresh registry on the same directory is what a restarted service sees.</summary>
    private VoiceRegistry NewRegistry(VoicesOptions? options = null)
    {
        var conditioner = new ReferenceConditioner(new FixedOptionsMonitor<AudioOptions>(new AudioOptions()));
        var registry = new VoiceRegistry(conditioner, new FixedOptionsMonitor<VoicesOptions>(options ?? new VoicesOptions()),
            new Env(_root), NullLogger<VoiceRegistry>.Instance);
        registry.EnsureLoaded();
        return registry;
    }

    private static byte[] Clip(double seconds = 2.0, double amplitude = 0.3, int rate = 24_000) =>
        BrokenWav.Valid(Sine(330, amplitude, seconds, rate), rate);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Default_voice_ships_with_the_service_and_is_read_only()
    {
        using var registry = NewRegistry();

        Assert.True(registry.TryGet(IVoiceRegistry.DefaultVoiceId, out var voice));
        Assert.True(voice.ReadOnly);
        Assert.Equal("The quick brown fox jumps over the lazy dog, then rests in the warm sun.", voice.Transcript);
        Assert.InRange(voice.Reference.SpeechSeconds, 4.0, 6.0);
        Assert.Equal(ConditionedReference.SampleRate, 24_000);
        Assert.InRange(voice.Reference.OutputGain, 0.05f, 1f);
        var ex = await Assert.ThrowsAsync<AudioRequestException>(() => registry.DeleteAsync("default", Ct));
        Assert.Equal(TtsErrorKind.Conflict, ex.Kind);
        Assert.Equal("default", registry.List()[0].Id);
        Assert.False(Directory.Exists(Path.Combine(VoicesDir, "default")));
    }

    [Fact]
    public async Task Voice_survives_a_restart_bit_exact()
    {
        Voice created;
        using (var first = NewRegistry())
        {
            created = await first.CreateAsync(new VoiceUpload(null, "Ana María!", "Hola, ¿qué tal?", Clip(amplitude: 0.05)), Ct);
        }

        Assert.Equal("ana-maria", created.Id);
        using var second = NewRegistry();
        Assert.True(second.TryGet("ana-maria", out var loaded));
        Assert.Equal(created.Name, loaded.Name);
        Assert.Equal(created.Transcript, loaded.Transcript);
        Assert.Equal(created.Reference.OutputGain, loaded.Reference.OutputGain);
        Assert.True(created.Reference.OutputGain < 1f); // quiet clip: boosted, gain remembered
        Assert.Equal(created.Reference.Samples, loaded.Reference.Samples);
        Assert.Equal(created.CreatedAt, loaded.CreatedAt);
        Assert.False(loaded.ReadOnly);
    }

    [Fact]
    public async Task Leftovers_of_a_killed_writer_never_load_and_are_cleaned()
    {
        using (var first = NewRegistry())
        {
            await first.CreateAsync(new VoiceUpload("good", "Good", "A complete voice.", Clip()), Ct);
        }

        byte[] wav = File.ReadAllBytes(Path.Combine(VoicesDir, "good", VoiceRegistry.AudioFile));
        // What a writer killed at each point leaves behind:
        string tempAudioOnly = Directory.CreateDirectory(Path.Combine(VoicesDir, ".tmp-crashed-0123abcd")).FullName;
        File.WriteAllBytes(Path.Combine(tempAudioOnly, VoiceRegistry.AudioFile), wav[..(wav.Length / 3)]);
        string tempComplete = Directory.CreateDirectory(Path.Combine(VoicesDir, ".tmp-almost-4567")).FullName;
        File.Copy(Path.Combine(VoicesDir, "good", VoiceRegistry.AudioFile), Path.Combine(tempComplete, VoiceRegistry.AudioFile));
        File.WriteAllText(Path.Combine(tempComplete, VoiceRegistry.MetadataFile), File.ReadAllText(Path.Combine(VoicesDir, "good", VoiceRegistry.MetadataFile))[..40]);
        string halfDeleted = Directory.CreateDirectory(Path.Combine(VoicesDir, ".deleted-old-89ab")).FullName;
        File.WriteAllBytes(Path.Combine(halfDeleted, VoiceRegistry.AudioFile), wav);
        // Folders damaged by hand or by a non-atomic copy: skipped, kept for inspection.
        string noMetadata = Directory.CreateDirectory(Path.Combine(VoicesDir, "half")).FullName;
        File.WriteAllBytes(Path.Combine(noMetadata, VoiceRegistry.AudioFile), wav);
        string truncatedAudio = Directory.CreateDirectory(Path.Combine(VoicesDir, "cut")).FullName;
        File.WriteAllBytes(Path.Combine(truncatedAudio, VoiceRegistry.AudioFile), wav[..(wav.Length / 2)]);
        File.Copy(Path.Combine(VoicesDir, "good", VoiceRegistry.MetadataFile), Path.Combine(truncatedAudio, VoiceRegistry.MetadataFile));
        string garbageJson = Directory.CreateDirectory(Path.Combine(VoicesDir, "junk")).FullName;
        File.WriteAllText(Path.Combine(garbageJson, VoiceRegistry.MetadataFile), "{ not json");
        File.WriteAllBytes(Path.Combine(garbageJson, VoiceRegistry.AudioFile), wav);
        Directory.CreateDirectory(Path.Combine(VoicesDir, "Not A Slug"));

        using var restarted = NewRegistry();

        Assert.Equal(["default", "good"], restarted.List().Select(v => v.Id));
        Assert.False(Directory.Exists(tempAudioOnly));
        Assert.False(Directory.Exists(tempComplete));
        Assert.False(Directory.Exists(halfDeleted));
        Assert.True(Directory.Exists(noMetadata));
        Assert.False(restarted.TryGet("cut", out _));
        // The id of a skipped folder stays reserved, so an upload never overwrites it.
        var ex = await Assert.ThrowsAsync<AudioRequestException>(() => restarted.CreateAsync(new VoiceUpload("half", "Half", "Text.", Clip()), Ct));
        Assert.Equal(TtsErrorKind.Conflict, ex.Kind);
    }

    [Fact]
    public void A_write_in_progress_in_another_process_survives_a_start_and_is_cleaned_once_its_writer_is_gone()
    {
        Directory.CreateDirectory(VoicesDir);
        string temp = Path.Combine(VoicesDir, $"{VoiceRegistry.TempPrefix}busy-0123");
        string lockPath = temp + VoiceRegistry.LockSuffix;
        // What a live writer holds: its lock file (an OS lock on an open file) and its half-written folder.
        var writerLock = new FileStream(lockPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        Directory.CreateDirectory(temp);
        File.WriteAllBytes(Path.Combine(temp, VoiceRegistry.AudioFile), Clip());

        using (var starting = NewRegistry())
        {
            Assert.True(Directory.Exists(temp));
            Assert.Equal(["default"], starting.List().Select(v => v.Id));
        }

        writerLock.Dispose(); // the writer is gone (a killed process's lock is released the same way)
        using var restarted = NewRegistry();
        Assert.False(Directory.Exists(temp));
        Assert.False(File.Exists(lockPath));
    }

    [Fact]
    public async Task A_folder_published_or_removed_behind_the_registry_is_seen_on_the_next_lookup()
    {
        using var writer = NewRegistry();
        using var reader = NewRegistry();
        Assert.False(reader.TryGet("late", out _));
        await writer.CreateAsync(new VoiceUpload("late", "Late", "Arrived later.", Clip()), Ct);
        Assert.True(reader.TryGet("late", out var seen));
        Assert.Equal("Late", seen.Name);

        Assert.True(await writer.DeleteAsync("late", Ct));
        Assert.False(reader.TryGet("late", out _));
        Assert.False(await reader.DeleteAsync("late", Ct));
        Assert.Equal(["default"], reader.List().Select(v => v.Id));
    }

    [Fact]
    public async Task Concurrent_uploads_of_one_id_store_exactly_one_voice()
    {
        using var registry = NewRegistry();
        var clip = Clip();

        var attempts = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                await registry.CreateAsync(new VoiceUpload("same", $"Attempt {i}", $"Text {i}.", clip), Ct);
                return true;
            }
            catch (AudioRequestException ex) when (ex.Kind == TtsErrorKind.Conflict)
            {
                return false;
            }
        }, Ct)).ToList();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r);
        Assert.Equal(["same"], Directory.GetDirectories(VoicesDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Concurrent_uploads_with_the_same_name_get_distinct_ids_and_all_persist()
    {
        using (var registry = NewRegistry())
        {
            var clip = Clip();
            var created = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
                Task.Run(() => registry.CreateAsync(new VoiceUpload(null, "Anna", $"Take {i}.", clip), Ct), Ct)));
            Assert.Equal(10, created.Select(v => v.Id).Distinct().Count());
            Assert.Contains(created, v => v.Id == "anna");
            Assert.Contains(created, v => v.Id == "anna-2");
        }

        using var restarted = NewRegistry();
        Assert.Equal(11, restarted.List().Count);
        Assert.Empty(Directory.GetDirectories(VoicesDir, ".tmp-*"));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("Upper")]
    [InlineData("x.y")]
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData("a b")]
    [InlineData("nul\0")]
    [InlineData("/etc/passwd")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65 characters
    public async Task Unsafe_ids_are_refused_and_nothing_is_written(string id)
    {
        using var registry = NewRegistry();

        var ex = await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload(id, "Name", "Text.", Clip()), Ct));

        Assert.Equal("invalid-voice-id", ex.Code);
        Assert.Empty(Directory.GetFileSystemEntries(VoicesDir));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
        Assert.False(registry.TryGet(id, out _));
        Assert.False(await registry.DeleteAsync(id, Ct));
    }

    [Fact]
    public async Task Bad_audio_or_text_stores_nothing()
    {
        using var registry = NewRegistry();
        await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload(null, "N", "T.", BrokenWav.Make("truncated")), Ct));
        await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload(null, "N", "T.", Clip(seconds: 13)), Ct));
        await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload(null, "N", "   ", Clip()), Ct));
        await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload(null, "", "T.", Clip()), Ct));
        await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload(null, "N", "T.", []), Ct));
        Assert.Empty(Directory.GetFileSystemEntries(VoicesDir));
        Assert.Single(registry.List());
    }

    [Fact]
    public async Task Delete_removes_the_voice_for_good()
    {
        using (var registry = NewRegistry())
        {
            await registry.CreateAsync(new VoiceUpload("gone", "Gone", "Soon gone.", Clip()), Ct);
            Assert.True(await registry.DeleteAsync("gone", Ct));
            Assert.False(await registry.DeleteAsync("gone", Ct));
            Assert.False(registry.TryGet("gone", out _));
        }

        Assert.Empty(Directory.GetFileSystemEntries(VoicesDir));
        using var restarted = NewRegistry();
        Assert.False(restarted.TryGet("gone", out _));
    }

    [Fact]
    public async Task Library_limit_is_enforced()
    {
        using var registry = NewRegistry(new VoicesOptions { MaxVoices = 1 });
        await registry.CreateAsync(new VoiceUpload("one", "One", "First.", Clip()), Ct);
        var ex = await Assert.ThrowsAsync<AudioRequestException>(() => registry.CreateAsync(new VoiceUpload("two", "Two", "Second.", Clip()), Ct));
        Assert.Equal("voice-library-full", ex.Code);
    }

    private sealed class Env(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";

        public string ApplicationName { get; set; } = "F5Tts.Tests";

        public string ContentRootPath { get; set; } = root;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
