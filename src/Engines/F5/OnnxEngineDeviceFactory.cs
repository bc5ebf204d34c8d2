using F5Tts.Engines.Options;
using F5Tts.Inference.Engine;
using Microsoft.Extensions.Logging;

namespace F5Tts.Engines.F5;

/// <summary>
/// One ONNX Runtime engine per device of <c>F5Tts:Engine:DeviceIds</c>: the same model directory and options, with
/// the CUDA/TensorRT device ordinal set to the device (docs/configuration.md "Several devices").
/// </summary>
internal sealed class OnnxEngineDeviceFactory(string modelDirectory, EngineOptions options, ILoggerFactory loggerFactory, string contentRoot, CaptureGate gate)
    : ITtsEngineFactory
{
    public IReadOnlyList<int> DeviceIds => options.Devices;

    public ITtsEngine Create(int deviceId) =>
        OnnxTtsEngineFactory.Create(modelDirectory, options.ForDevice(deviceId), loggerFactory, contentRoot, gate);
}
