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
/// The directory is the source of truth and may be shared by several processes (replicas on one ReadWriteMany
/// volume): the in-memory cache is checked against the metadata file's timestamp on every lookup, a miss looks on
/// disk, and a listing rescans, so a voice stored or deleted by another process is usable (or gone) at once.
/// </summary>
internal sealed partial class VoiceRegistry : IVoiceRegistry, IDisposable
{
    internal const string MetadataFile = "voice.json";
    internal const string AudioFile = "reference.wav";
    internal const string TempPrefix = ".tmp-";
    internal const string DeletedPrefix = ".deleted-";
    internal const string LockSuffix = ".lock";
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
    private readonly ConcurrentDictionary<string, Cached> _voices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _skipped = new(StringComparer.Ordinal); // logged once per version
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lazy<bool> _loaded;
    private Voice? _default;

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
        voice = null;
        if (id == IVoiceRegistry.DefaultVoiceId)
        {
            voice = _default!;
            return true;
        }

        // Only a valid id becomes a path: nothing else is looked up on disk.
        if (id is null || !VoiceIds.IsValid(id))
        {
            return false;
        }

        voice = Refresh(id);
        return voice is not null;
    }

    public IReadOnlyList<Voice> List()
    {
        EnsureLoaded();
        var onDisk = StoredIds();
        foreach (var id in _voices.Keys.Where(id => !onDisk.Contains(id)))
        {
            _voices.TryRemove(id, out _); // deleted by another process
        }

        var stored = onDisk.Select(Refresh).OfType<Voice>().OrderBy(v => v.Id, StringComparer.Ordinal);
        return [_default!, .. stored];
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
            // Counted on disk, so voices stored by every process sharing the directory count.
            if (StoredIds().Count >= o.MaxVoices)
            {
                throw new AudioRequestException(TtsErrorKind.Conflict, "voice-library-full", $"The voice library is full ({o.MaxVoices} voices, F5Tts:Voices:MaxVoices).");
            }

            string id = upload.Id ?? FreeId(VoiceIds.FromName(name));
            if (IsTaken(id))
            {
                throw Exists(id);
            }

            var voice = new Voice(id, name, transcript, reference, DateTimeOffset.UtcNow, ReadOnly: false, decoded.Format);
            long stamp = await PersistAsync(voice, cancellationToken);
            _voices[id] = new Cached(voice, stamp);
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
            // Only a folder that holds a voice is deleted: a damaged one is kept for inspection.
            if (Refresh(id) is null)
            {
                return false;
            }

            string folder = Path.Combine(_directory, id);
            string graveyard = Path.Combine(_directory, $"{DeletedPrefix}{id}-{Guid.NewGuid():N}");
            try
            {
                // One rename makes the voice disappear atomically, for every process; the recursive delete may be
                // interrupted safely. Of two processes deleting at once, one rename finds nothing.
                System.IO.Directory.Move(folder, graveyard);
            }
            catch (DirectoryNotFoundException)
            {
                _voices.TryRemove(id, out _);
                return false;
            }

            DirectorySync.Flush(_directory);
            TryDeleteDirectory(graveyard);
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
    private bool IsTaken(string id) => id == IVoiceRegistry.DefaultVoiceId || Path.Exists(Path.Combine(_directory, id));

    private static AudioRequestException Exists(string id) =>
        new(TtsErrorKind.Conflict, "voice-exists", $"A voice with id '{id}' already exists.");

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
