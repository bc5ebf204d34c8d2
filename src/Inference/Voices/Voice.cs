using F5Tts.Inference.Audio;

namespace F5Tts.Inference.Voices;

/// <summary>A stored reference voice: the conditioned clip and the exact text spoken in it.</summary>
/// <param name="Id">Stable id (slug: lowercase letters, digits and '-').</param>
/// <param name="Name">Display name.</param>
/// <param name="Transcript">What is said in the clip; joined with the text to generate (docs/model.md "Joining reference and text").</param>
/// <param name="Reference">Conditioned 24 kHz audio and its output gain, cached in memory.</param>
/// <param name="CreatedAt">When the voice was uploaded (UTC).</param>
/// <param name="ReadOnly">True for the built-in <c>default</c> voice, which cannot be deleted.</param>
/// <param name="SourceFormat">Format of the original upload, e.g. <c>wav/pcm16</c> or <c>mp3</c>.</param>
public sealed record Voice(
    string Id,
    string Name,
    string Transcript,
    ConditionedReference Reference,
    DateTimeOffset CreatedAt,
    bool ReadOnly,
    string SourceFormat);

/// <summary>What <c>POST /v1/voices</c> hands to the registry.</summary>
/// <param name="Id">Requested id, or null to derive one from <paramref name="Name"/>.</param>
/// <param name="Name">Display name.</param>
/// <param name="Transcript">Exact text spoken in the clip.</param>
/// <param name="Audio">The uploaded file (WAV, MP3, FLAC or Opus in Ogg/WebM).</param>
public sealed record VoiceUpload(string? Id, string Name, string Transcript, byte[] Audio);

/// <summary>
/// The voice library: the built-in <c>default</c> voice plus uploaded voices persisted on disk. Lookups are
/// lock-free reads of an in-memory cache; writes are serialised and atomic on disk (docs/audio.md#voice-library).
/// </summary>
public interface IVoiceRegistry
{
    /// <summary>Id of the built-in voice.</summary>
    public const string DefaultVoiceId = "default";

    /// <summary>Finds a voice by id (case-sensitive; ids are lowercase). Never throws for bad ids.</summary>
    bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Voice? voice);

    /// <summary>All voices, default first, then by id.</summary>
    IReadOnlyList<Voice> List();

    /// <summary>Validates, conditions and stores a new voice.</summary>
    /// <exception cref="AudioRequestException">400 bad id/name/transcript/audio, 409 id taken or library full,
    /// 413 too large, 415 unsupported audio.</exception>
    Task<Voice> CreateAsync(VoiceUpload upload, CancellationToken cancellationToken);

    /// <summary>Deletes an uploaded voice; false when it does not exist.</summary>
    /// <exception cref="AudioRequestException">409 for the read-only default voice.</exception>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
