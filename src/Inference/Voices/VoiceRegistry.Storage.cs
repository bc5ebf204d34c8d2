using System.Reflection;
using System.Text.Json;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Voices;

/// <summary>
/// The on-disk side of the voice library: publication, reading with a change stamp, and the cleanup of leftovers.
/// Several processes may share the directory. A writer holds an exclusive lock on <c>.tmp-{id}-{guid}.lock</c>
/// (created before its temporary folder, removed after it) for as long as it writes, so a process starting meanwhile
/// removes only the temporary folders of writers that are gone (the lock of a killed process is released by the OS).
/// </summary>
internal sealed partial class VoiceRegistry
{
    // Reads racing a replacement by another process are retried: the stamp is taken before and after.
    private const int ReadAttempts = 3;

    /// <summary>The cached voice and the metadata file's write time it was read at.</summary>
    private sealed record Cached(Voice Voice, long Stamp);

    /// <summary>
    /// The current voice stored under <paramref name="id"/>, read from disk when the cache misses or is stale; null when
    /// there is none (never stored, deleted by any process, or damaged).
    /// </summary>
    private Voice? Refresh(string id)
    {
        string folder = Path.Combine(_directory, id);
        string metadata = Path.Combine(folder, MetadataFile);
        for (int attempt = 0; attempt < ReadAttempts; attempt++)
        {
            long stamp = Stamp(metadata);
            if (stamp == 0)
            {
                _voices.TryRemove(id, out _);
                return null;
            }

            if (_voices.TryGetValue(id, out var cached) && cached.Stamp == stamp)
            {
                return cached.Voice;
            }

            Voice voice;
            try
            {
                voice = LoadVoice(folder, id);
            }
            catch (Exception ex) when (ex is IOException or JsonException or AudioRequestException or InvalidDataException or UnauthorizedAccessException)
            {
                if (Stamp(metadata) != stamp)
                {
                    continue; // replaced or deleted while being read
                }

                _voices.TryRemove(id, out _);
                if (!_skipped.TryGetValue(id, out long logged) || logged != stamp)
                {
                    _skipped[id] = stamp;
                    LogSkipped(id, ex.Message);
                }

                return null;
            }

            if (Stamp(metadata) == stamp)
            {
                _voices[id] = new Cached(voice, stamp);
                return voice;
            }
        }

        return null; // replaced again and again: treated as absent for this lookup
    }

    /// <summary>The metadata file's last write time in ticks; 0 when it does not exist.</summary>
    private static long Stamp(string metadataPath)
    {
        var info = new FileInfo(metadataPath);
        return info.Exists ? Math.Max(1, info.LastWriteTimeUtc.Ticks) : 0;
    }

    /// <summary>Names of the folders that may hold a stored voice (valid ids), as the directory lists them now.</summary>
    private HashSet<string> StoredIds()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (string folder in System.IO.Directory.EnumerateDirectories(_directory))
            {
                string name = Path.GetFileName(folder);
                if (VoiceIds.IsValid(name) && name != IVoiceRegistry.DefaultVoiceId)
                {
                    ids.Add(name);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Removed from under the service: no stored voices.
        }

        return ids;
    }

    /// <summary>Writes and publishes <paramref name="voice"/>; returns the stamp of its metadata file.</summary>
    private async Task<long> PersistAsync(Voice voice, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(_directory);
        string temp = Path.Combine(_directory, $"{TempPrefix}{voice.Id}-{Guid.NewGuid():N}");
        string target = Path.Combine(_directory, voice.Id);
        // The lock exists before the folder and is deleted after it, so a folder without a lock is never in progress.
        await using var writerLock = new FileStream(temp + LockSuffix, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        try
        {
            System.IO.Directory.CreateDirectory(temp);
            await WriteDurableAsync(Path.Combine(temp, AudioFile), WavEncoder.EncodeFloat32(voice.Reference.Samples, ConditionedReference.SampleRate), cancellationToken);
            var metadata = new VoiceMetadata(
                MetadataVersion, voice.Id, voice.Name, voice.Transcript, voice.CreatedAt, voice.Reference.OutputGain,
                voice.Reference.SourceSeconds, voice.Reference.SpeechSeconds, voice.SourceFormat, ConditionedReference.SampleRate);
            // The metadata file is written last: a folder without it is never a voice.
            await WriteDurableAsync(Path.Combine(temp, MetadataFile), JsonSerializer.SerializeToUtf8Bytes(metadata, Json), cancellationToken);
            DirectorySync.Flush(temp); // the files' names, before the folder is published
            Publish(temp, target, voice.Id);
            DirectorySync.Flush(_directory); // the rename itself: without this a power loss may undo the publication
            return Stamp(Path.Combine(target, MetadataFile));
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
        finally
        {
            TryDeleteFile(temp + LockSuffix);
        }
    }

    /// <summary>
    /// The publishing rename. rename(2) refuses to replace a non-empty folder, so of two processes storing the same id
    /// at once exactly one wins and the other gets 409.
    /// </summary>
    private static void Publish(string temp, string target, string id)
    {
        try
        {
            System.IO.Directory.Move(temp, target);
        }
        catch (IOException) when (Path.Exists(target))
        {
            throw Exists(id);
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
        _default = LoadDefaultVoice();
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

        RemoveLeftovers();
        foreach (string folder in System.IO.Directory.EnumerateDirectories(_directory))
        {
            string name = Path.GetFileName(folder);
            if (!name.StartsWith('.') && (!VoiceIds.IsValid(name) || name == IVoiceRegistry.DefaultVoiceId))
            {
                LogSkipped(name, "folder name is not a valid voice id");
            }
        }

        int count = StoredIds().Count(id => Refresh(id) is not null);
        LogLoaded(count, _directory);
        return true;
    }

    /// <summary>
    /// Removes what interrupted writes and deletes left: temporary folders whose writer's lock can be taken (the writer
    /// is gone) or that have no lock, their lock files, and half-deleted folders.
    /// </summary>
    private void RemoveLeftovers()
    {
        foreach (string entry in System.IO.Directory.EnumerateFileSystemEntries(_directory, ".*"))
        {
            string name = Path.GetFileName(entry);
            if (name.StartsWith(DeletedPrefix, StringComparison.Ordinal))
            {
                LogLeftover(name);
                TryDeleteDirectory(entry);
            }
            else if (name.StartsWith(TempPrefix, StringComparison.Ordinal) && !name.EndsWith(LockSuffix, StringComparison.Ordinal))
            {
                RemoveAbandoned(entry, entry + LockSuffix);
            }
            else if (name.StartsWith(TempPrefix, StringComparison.Ordinal) && !Path.Exists(entry[..^LockSuffix.Length]))
            {
                RemoveAbandoned(entry[..^LockSuffix.Length], entry); // a lock whose writer never made its folder
            }
        }
    }

    private void RemoveAbandoned(string folder, string lockPath)
    {
        FileStream? taken = null;
        try
        {
            taken = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (FileNotFoundException)
        {
            // No lock: the writer ended (or never began) without publishing.
        }
        catch (IOException)
        {
            return; // a live writer in another process holds it
        }

        using (taken)
        {
            LogLeftover(Path.GetFileName(folder));
            TryDeleteDirectory(folder);
            TryDeleteFile(lockPath);
        }
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

    private Voice LoadDefaultVoice()
    {
        var assembly = typeof(VoiceRegistry).Assembly;
        byte[] wav = ReadResource(assembly, "F5Tts.Inference.Voices.Default.reference.wav");
        string transcript = System.Text.Encoding.UTF8.GetString(ReadResource(assembly, "F5Tts.Inference.Voices.Default.transcript.txt")).Trim();
        var reference = _conditioner.Condition(AudioDecoder.Decode(wav, maxSeconds: 60), enforceLimits: false);
        return new Voice(
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

    private void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(path, ex.Message); // retried at the next start
        }
    }
}
