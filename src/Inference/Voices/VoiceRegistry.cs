using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Voices;

/// <summary>
/// File-backed <see cref="IVoiceRegistry"/>. Layout: <c>{Directory}/{id}/voice.json</c> (metadata) and
/// <c>{Directory}/{id}/reference.wav</c> (conditioned 24 kHz mono float32, so reloading needs no re-conditioning
/// and loses nothing). A voice is written into <c>.tmp-{id}-{guid}/</c>, flushed to disk and then published by
/// renaming the whole folder, so a writer killed at any point leaves either no voice or a complete one; leftovers
/// are removed at the next start. Deletion renames to <c>.deleted-*</c> first for the same reason.
/// </summary>
internal sealed partial class VoiceRegistry : IVoiceRegistry, IDisposable
{
    internal const string MetadataFile = "voice.json";
    internal const string AudioFile = "reference.wav";
    internal const string TempPrefix = ".tmp-";
    internal const string DeletedPrefix = ".deleted-";
    private const int MetadataVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ReferenceConditioner _conditioner;
    private readonly IOptionsMonitor<VoicesOptions> _options;
    private readonly ILogger<VoiceRegistry> _logger;
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, Voice> _voices = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lazy<bool> _loaded;

    public VoiceRegistry(
        ReferenceConditioner conditioner,
        IOptionsMonitor<VoicesOptions> options,
        IHostEnvironment environment,
        ILogger<VoiceRegistry> logger)
    {
        _conditioner = conditioner;
        _options = options;
        _logger = logger;
        _directory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.CurrentValue.Directory));
        _loaded = new Lazy<bool>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Absolute storage directory.</summary>
    public string Directory => _directory;

    /// <summary>Loads the default and stored voices once (also triggered by the first lookup).</summary>
    public void EnsureLoaded() => _ = _loaded.Value;

    public bool TryGet(string id, [NotNullWhen(true)] out Voice? voice)
    {
        EnsureLoaded();
        if (id is null)
        {
            voice = null;
            return false;
        }

        return _voices.TryGetValue(id, out voice);
    }

    public IReadOnlyList<Voice> List()
    {
        EnsureLoaded();
        return _voices.Values
            .OrderBy(v => v.Id == IVoiceRegistry.DefaultVoiceId ? 0 : 1)
            .ThenBy(v => v.Id, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<Voice> CreateAsync(VoiceUpload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        EnsureLoaded();
        var o = _options.CurrentValue;
        string name = (upload.Name ?? string.Empty).Trim();
        string transcript = (upload.Transcript ?? string.Empty).Trim();
        if (upload.Id is not null && !VoiceIds.IsValid(upload.Id))
        {
            throw Invalid("invalid-voice-id", $"Invalid voice id '{Truncate(upload.Id)}': use 1–{VoiceIds.MaxLength} characters of a-z, 0-9 and '-', starting and ending with a letter or digit.");
        }

        if (name.Length == 0 || name.Length > o.MaxNameLength || name.Any(char.IsControl))
        {
            throw Invalid("invalid-voice-name", $"The voice name is required: 1–{o.MaxNameLength} characters without control characters.");
        }

        if (transcript.Length == 0 || transcript.Length > o.MaxTranscriptLength || !Transcripts.IsSpeakable(transcript))
        {
            throw Invalid("invalid-transcript", $"The transcript is required: 1–{o.MaxTranscriptLength} characters of exactly what is said in the clip (letters or digits, no control characters).");
        }

        // Conditioning is the expensive part and needs no lock.
        if (upload.Audio is null || upload.Audio.Length == 0)
        {
            throw Invalid("missing-audio", "The audio file is required.");
        }

        var decoded = _conditioner.Decode(upload.Audio);
        var reference = _conditioner.Condition(decoded);

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (_voices.Count - 1 >= o.MaxVoices)
            {
                throw new AudioRequestException(TtsErrorKind.Conflict, "voice-library-full", $"The voice library is full ({o.MaxVoices} voices, F5Tts:Voices:MaxVoices).");
            }

            string id = upload.Id ?? FreeId(VoiceIds.FromName(name));
            if (IsTaken(id))
            {
                throw new AudioRequestException(TtsErrorKind.Conflict, "voice-exists", $"A voice with id '{id}' already exists.");
            }

            var voice = new Voice(id, name, transcript, reference, DateTimeOffset.UtcNow, ReadOnly: false, decoded.Format);
            await PersistAsync(voice, cancellationToken);
            _voices[id] = voice;
            LogCreated(id, reference.SpeechSeconds);
            return voice;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        EnsureLoaded();
        if (!VoiceIds.IsValid(id))
        {
            return false;
        }

        if (id == IVoiceRegistry.DefaultVoiceId)
        {
            throw new AudioRequestException(TtsErrorKind.Conflict, "voice-read-only", "The default voice is built in and cannot be deleted.");
        }

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (!_voices.ContainsKey(id))
            {
                return false;
            }

            string folder = Path.Combine(_directory, id);
            string graveyard = Path.Combine(_directory, $"{DeletedPrefix}{id}-{Guid.NewGuid():N}");
            if (System.IO.Directory.Exists(folder))
            {
                // One rename makes the voice disappear atomically; the recursive delete may be interrupted safely.
                System.IO.Directory.Move(folder, graveyard);
                DirectorySync.Flush(_directory);
                TryDeleteDirectory(graveyard);
            }

            _voices.TryRemove(id, out _);
            LogDeleted(id);
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose() => _writeGate.Dispose();

    private string FreeId(string baseId)
    {
        string candidate = baseId;
        for (int n = 2; IsTaken(candidate); n++)
        {
            candidate = $"{baseId}-{n}";
        }

        return candidate;
    }

    // Any directory entry takes an id, a plain file included: the publishing rename could not replace it.
    private bool IsTaken(string id) => _voices.ContainsKey(id) || Path.Exists(Path.Combine(_directory, id));

    private async Task PersistAsync(Voice voice, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(_directory);
        string temp = Path.Combine(_directory, $"{TempPrefix}{voice.Id}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            await WriteDurableAsync(Path.Combine(temp, AudioFile), WavEncoder.EncodeFloat32(voice.Reference.Samples, ConditionedReference.SampleRate), cancellationToken);
            var metadata = new VoiceMetadata(
                MetadataVersion, voice.Id, voice.Name, voice.Transcript, voice.CreatedAt, voice.Reference.OutputGain,
                voice.Reference.SourceSeconds, voice.Reference.SpeechSeconds, voice.SourceFormat, ConditionedReference.SampleRate);
            // The metadata file is written last: a folder without it is never a voice.
            await WriteDurableAsync(Path.Combine(temp, MetadataFile), JsonSerializer.SerializeToUtf8Bytes(metadata, Json), cancellationToken);
            DirectorySync.Flush(temp); // the files' names, before the folder is published
            System.IO.Directory.Move(temp, Path.Combine(_directory, voice.Id));
            DirectorySync.Flush(_directory); // the rename itself: without this a power loss may undo the publication
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    private static async Task WriteDurableAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
        await stream.WriteAsync(bytes, cancellationToken);
        stream.Flush(flushToDisk: true); // the rename that publishes the voice must not overtake the data
    }

    private bool Load()
    {
        LoadDefaultVoice();
        try
        {
            System.IO.Directory.CreateDirectory(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Fail at start with the key to fix rather than on the first upload.
            throw new InvalidOperationException(
                $"{VoicesOptions.SectionName}:Directory '{_directory}' cannot be created: {ex.Message}", ex);
        }

        foreach (string folder in System.IO.Directory.EnumerateDirectories(_directory))
        {
            string name = Path.GetFileName(folder);
            if (name.StartsWith(TempPrefix, StringComparison.Ordinal) || name.StartsWith(DeletedPrefix, StringComparison.Ordinal))
            {
                LogLeftover(name);
                TryDeleteDirectory(folder);
                continue;
            }

            if (!VoiceIds.IsValid(name) || name == IVoiceRegistry.DefaultVoiceId)
            {
                LogSkipped(name, "folder name is not a valid voice id");
                continue;
            }

            try
            {
                _voices[name] = LoadVoice(folder, name);
            }
            catch (Exception ex) when (ex is IOException or JsonException or AudioRequestException or InvalidDataException or UnauthorizedAccessException)
            {
                LogSkipped(name, ex.Message);
            }
        }

        LogLoaded(_voices.Count - 1, _directory);
        return true;
    }

    private static Voice LoadVoice(string folder, string id)
    {
        byte[] json = File.ReadAllBytes(Path.Combine(folder, MetadataFile));
        var m = JsonSerializer.Deserialize<VoiceMetadata>(json, Json) ?? throw new InvalidDataException("empty metadata");
        if (m.Version != MetadataVersion || m.Id != id || string.IsNullOrWhiteSpace(m.Transcript) || string.IsNullOrWhiteSpace(m.Name)
            || m.SampleRate != ConditionedReference.SampleRate || !(m.OutputGain is > 0 and <= 1))
        {
            throw new InvalidDataException("metadata is inconsistent");
        }

        var audio = AudioDecoder.Decode(File.ReadAllBytes(Path.Combine(folder, AudioFile)), maxSeconds: 600);
        if (audio.SampleRate != ConditionedReference.SampleRate || audio.Channels != 1 || audio.Format != "wav/float32")
        {
            throw new InvalidDataException("reference.wav is not 24 kHz mono float32");
        }

        var reference = new ConditionedReference(audio.Samples, m.OutputGain, m.SourceSeconds, m.SpeechSeconds);
        return new Voice(id, m.Name, m.Transcript, reference, m.CreatedAt, ReadOnly: false, m.SourceFormat ?? "unknown");
    }

    private void LoadDefaultVoice()
    {
        var assembly = typeof(VoiceRegistry).Assembly;
        byte[] wav = ReadResource(assembly, "F5Tts.Inference.Voices.Default.reference.wav");
        string transcript = System.Text.Encoding.UTF8.GetString(ReadResource(assembly, "F5Tts.Inference.Voices.Default.transcript.txt")).Trim();
        var reference = _conditioner.Condition(AudioDecoder.Decode(wav, maxSeconds: 60), enforceLimits: false);
        _voices[IVoiceRegistry.DefaultVoiceId] = new Voice(
            IVoiceRegistry.DefaultVoiceId, "Default (synthetic, espeak-ng)", transcript, reference,
            DateTimeOffset.UnixEpoch, ReadOnly: true, "wav/pcm16");
    }

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(path, ex.Message); // retried at the next start
        }
    }

    private static AudioRequestException Invalid(string code, string message) =>
        new(TtsErrorKind.InvalidInput, code, message);

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "Voice {VoiceId} stored ({Seconds:F2} s of speech)")]
    private partial void LogCreated(string voiceId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Voice {VoiceId} deleted")]
    private partial void LogDeleted(string voiceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} stored voice(s) from {Directory}")]
    private partial void LogLoaded(int count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing leftover {Folder} from an interrupted write or delete")]
    private partial void LogLeftover(string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping voice folder {Folder}: {Reason}")]
    private partial void LogSkipped(string folder, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Path}: {Reason}")]
    private partial void LogCleanupFailed(string path, string reason);

    private sealed record VoiceMetadata(
        int Version,
        string Id,
        string Name,
        string Transcript,
        DateTimeOffset CreatedAt,
        float OutputGain,
        double SourceSeconds,
        double SpeechSeconds,
        string? SourceFormat,
        int SampleRate);
}

/// <summary>Loads the voice library at start so that corrupt leftovers are reported and cleaned before traffic.</summary>
internal sealed class VoiceRegistryLoader : IHostedService
{
    private readonly VoiceRegistry _registry;

    public VoiceRegistryLoader(VoiceRegistry registry)
    {
        _registry = registry;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registry.EnsureLoaded();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
