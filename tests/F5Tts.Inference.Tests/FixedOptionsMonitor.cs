using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Tests;

/// <summary>Options that never change (configuration input for unit tests, not a stand-in for a real part).</summary>
internal sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
