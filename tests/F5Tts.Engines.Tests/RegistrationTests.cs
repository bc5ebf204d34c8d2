using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace F5Tts.Engines.Tests;

public sealed class RegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, ListLoggerFactory logs)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddOptions();
        services.AddF5TtsOnnxEngine(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Engine_is_built_from_configuration_with_provider_fallback()
    {
        var logs = new ListLoggerFactory();
        using var sp = Build(new()
        {
            ["F5Tts:Model:Directory"] = Fixtures.Model("tiny-v1-batched"),
            ["F5Tts:Engine:TransformerProviders"] = "TensorRT,CUDA,CPU",
            ["F5Tts:Engine:PreprocessProviders"] = "CUDA,CPU",
            ["F5Tts:Engine:DecodeProviders"] = "CPU",
            ["F5Tts:Engine:MaxBatchSize"] = "3",
            ["F5Tts:Engine:Cpu:IntraOpThreads"] = "1",
        }, logs);

        var engine = sp.GetRequiredService<ITtsEngine>();
        Assert.Equal("f5tts-batched/1", engine.Description.Contract);
        Assert.Equal(3, engine.Description.MaxBatchSize);
        Assert.All(engine.Description.ProvidersByStage.Values, v => Assert.Equal("CPU", v));
        Assert.Equal(2, logs.Warnings.Count());
    }

    [Theory]
    [InlineData("F5Tts:Engine:TransformerProviders", "CUDA,ROCm", "TransformerProviders")]
    [InlineData("F5Tts:Engine:MaxBatchSize", "0", "MaxBatchSize")]
    [InlineData("F5Tts:Engine:TensorRt:MaxFrames", "9000", "TensorRt:MaxFrames")]
    [InlineData("F5Tts:Engine:TensorRt:MinBatch", "8", "TensorRt")]
    [InlineData("F5Tts:Engine:Cuda:CudnnConvAlgoSearch", "FAST", "CudnnConvAlgoSearch")]
    [InlineData("F5Tts:Engine:FrameBucket", "0", "FrameBucket")]
    [InlineData("F5Tts:Engine:FrameBucket", "5000", "FrameBucket")]
    [InlineData("F5Tts:Engine:Cuda:DecodeGraphMaxFrames", "0", "DecodeGraphMaxFrames")]
    [InlineData("F5Tts:Engine:Cuda:DecodeGraphMaxFrames", "5000", "DecodeGraphMaxFrames")]
    public void Invalid_options_fail_validation_naming_the_key(string key, string value, string named)
    {
        using var sp = Build(new() { [key] = value, ["F5Tts:Model:Directory"] = Fixtures.Model("tiny-v1-batched") }, new ListLoggerFactory());
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<EngineOptions>>().Value);
        Assert.Contains(named, e.Message);
    }
}
