using System.Security.Cryptography;
using System.Text;
using F5Tts.Inference.Options;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Auth;

/// <summary>
/// The configured API keys (F5Tts:Auth:ApiKeys) and the check of a presented one: shared by the HTTP middleware and the
/// real-time route, whose browser clients cannot set headers and send the key in their <c>start</c> message.
/// </summary>
internal sealed class ApiKeys(IOptions<AuthOptions> options)
{
    // Hashes of the keys: comparing fixed-length digests in constant time leaks neither content nor length.
    private readonly byte[][] _keyHashes = [.. options.Value.ApiKeys
        .Where(k => !string.IsNullOrEmpty(k))
        .Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    /// <summary>True when keys are configured (authentication on).</summary>
    public bool Enabled => _keyHashes.Length > 0;

    /// <summary>Whether <paramref name="presented"/> is one of the keys (in time independent of which, or how close).</summary>
    public bool IsValid(string? presented)
    {
        if (presented is null)
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = false;
        foreach (var key in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(hash, key);
        }

        return match;
    }

    /// <summary>The key a request presents in <c>Authorization: Bearer</c> or <c>X-Api-Key</c>; null for none.</summary>
    public static string? Presented(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var apiKey = request.Headers["X-Api-Key"].ToString();
        return apiKey.Length > 0 ? apiKey : null;
    }
}
