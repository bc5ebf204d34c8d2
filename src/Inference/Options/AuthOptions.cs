namespace F5Tts.Inference.Options;

/// <summary>API-key authentication (section <c>F5Tts:Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section path.</summary>
    public const string SectionName = "F5Tts:Auth";

    /// <summary>
    /// Accepted API keys (sent as <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key</c>). Empty disables
    /// authentication. Supply keys through environment variables (<c>F5Tts__Auth__ApiKeys__0</c>) or a secret, never
    /// in the committed appsettings.json. Health, metrics and Swagger are never authenticated.
    /// </summary>
#pragma warning disable CA1819 // Options are bound from configuration; an array is the natural shape.
    public string[] ApiKeys { get; set; } = [];
#pragma warning restore CA1819
}
