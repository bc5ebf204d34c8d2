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

    /// <summary>
    /// Most client connections served at once (Kestrel's MaxConcurrentConnections); a connection beyond it is closed
    /// at once. Each connection costs buffers and a slot in the OS, so an unbounded count lets one client starve the
    /// process; 1000 is far above what the synthesis queue can keep busy.
    /// </summary>
    [Range(1, 1_000_000)]
    public long MaxConcurrentConnections { get; set; } = 1000;

    /// <summary>
    /// Longest request target (path and query) in bytes; longer gets 414 <c>urn:f5tts:problem:uri-too-long</c>.
    /// Kestrel's own request-line limit is set to 8× this, so only a far longer line gets Kestrel's bare 414.
    /// </summary>
    [Range(256, 1 << 20)]
    public int MaxRequestTargetBytes { get; set; } = 8192;

    /// <summary>
    /// Most bytes of request headers; more gets 431 <c>urn:f5tts:problem:headers-too-large</c>. Kestrel's own limit
    /// is set to 4× this.
    /// </summary>
    [Range(1024, 1 << 22)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>Most request headers; more gets 431 <c>urn:f5tts:problem:headers-too-large</c> (Kestrel's limit: 4× this).</summary>
    [Range(8, 10_000)]
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// Serve the browser page at <c>/</c> (docs/page.md). Off: <c>/</c> is a 404 problem like any unknown path, for
    /// deployments that expose only the API.
    /// </summary>
    public bool Page { get; set; } = true;
}
