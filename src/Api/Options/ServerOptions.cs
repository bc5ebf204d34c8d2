using System.ComponentModel.DataAnnotations;

namespace F5Tts.Api.Options;

/// <summary>HTTP server limits and lifetime (section <c>F5Tts:Server</c>).</summary>
public sealed class ServerOptions
{
    /// <summary>Configuration section path.</summary>
    public const string SectionName = "F5Tts:Server";

    /// <summary>
    /// Largest accepted request body in bytes (Kestrel limit; also the multipart form limit). Base64 reference audio
    /// inflates by 4/3, so 16 MiB admits ~12 MiB of audio, far more than the 15–30 s a reference clip needs.
    /// Larger bodies get 413 <c>urn:f5tts:problem:payload-too-large</c>.
    /// </summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBodyBytes { get; set; } = 16L << 20;

    /// <summary>
    /// Seconds the host waits on shutdown for in-flight requests and background work (queued syntheses) to finish
    /// before it stops them. Keep it below the pod's terminationGracePeriodSeconds.
    /// </summary>
    [Range(0, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 30;
}
