namespace F5Tts.Inference.Engine;

/// <summary>
/// Creates one engine per device for a service that drives several devices (<c>F5Tts:Engine:DeviceIds</c>). The engine
/// project registers it with the validated device list; without it the service runs the one container
/// <see cref="ITtsEngine"/> on device 0.
/// </summary>
public interface ITtsEngineFactory
{
    /// <summary>Device ordinals to run a worker on, in order, without duplicates (at least one).</summary>
    IReadOnlyList<int> DeviceIds { get; }

    /// <summary>Loads the model for <paramref name="deviceId"/>; the caller owns and disposes the engine.</summary>
    ITtsEngine Create(int deviceId);
}
