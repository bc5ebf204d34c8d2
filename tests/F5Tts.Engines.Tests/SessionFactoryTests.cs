using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using Microsoft.Extensions.Logging;

namespace F5Tts.Engines.Tests;

public sealed class SessionFactoryTests
{
    [Fact]
    public void Gpu_providers_missing_fall_back_to_cpu_with_one_warning_each()
    {
        using var dir = new TempDirectory();
        var model = dir.File("m.onnx");
        TinyOnnx.Write(model, [new("x", TinyOnnx.Float, "N")], [new("y", TinyOnnx.Float, "N")]);
        var logs = new ListLoggerFactory();
        var options = new EngineOptions { TensorRt = { EngineCacheDirectory = dir.File("engines"), TimingCacheDirectory = dir.File("timing") } };
        var factory = new OnnxSessionFactory(options, logs.CreateLogger("test"), dir.Path);

        // This machine has no CUDA/TensorRT libraries: appending those providers throws inside ONNX Runtime.
        using var transformer = factory.Create("transformer", model, ProviderChain.Parse("TensorRT,CUDA,CPU"));
        using var decode = factory.Create("decode", model, ProviderChain.Parse("CUDA,CPU"));

        Assert.Equal([ExecutionProvider.CPU], transformer.Providers);
        Assert.Equal("CPU", transformer.ProvidersText);
        Assert.Equal([ExecutionProvider.CPU], decode.Providers);
        var warnings = logs.Warnings.ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Single(warnings, w => w.Contains("TensorRT is not available"));
        Assert.Single(warnings, w => w.Contains("CUDA is not available"));
        // One short line each: ONNX Runtime's full text (source path, signature) goes to Debug only.
        Assert.All(warnings, w => Assert.True(w.Length <= 260 && !w.Contains('\n'), w));

        // The session really runs on the provider reported.
        using var x = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new[] { 1f, 2f, 3f }, [3]);
        using var outputs = transformer.Session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["x"], [x], ["y"]);
        Assert.Equal([1f, 2f, 3f], outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Cpu_only_chain_logs_nothing()
    {
        using var dir = new TempDirectory();
        var model = dir.File("m.onnx");
        TinyOnnx.Write(model, [new("x", TinyOnnx.Float, 2)], [new("y", TinyOnnx.Float, 2)]);
        var logs = new ListLoggerFactory();
        var factory = new OnnxSessionFactory(new EngineOptions(), logs.CreateLogger("test"), dir.Path);
        using var s = factory.Create("preprocess", model, ProviderChain.Parse("CPU"));
        Assert.Equal([ExecutionProvider.CPU], s.Providers);
        Assert.Empty(logs.Warnings);
    }

    [Fact]
    public void Corrupt_graph_fails_with_the_file_name()
    {
        using var dir = new TempDirectory();
        var model = dir.File("F5_Decode.onnx");
        File.WriteAllBytes(model, [1, 2, 3, 4, 5]);
        var factory = new OnnxSessionFactory(new EngineOptions(), new ListLoggerFactory().CreateLogger("t"), dir.Path);
        var e = Assert.Throws<ModelLoadException>(() => factory.Create("decode", model, ProviderChain.Parse("CPU")));
        Assert.Contains("F5_Decode.onnx", e.Message);
    }

    [Fact]
    public void Trt_profile_covers_every_dynamic_transformer_input_with_request_batch()
    {
        var trt = new TensorRtOptions { MinBatch = 1, OptBatch = 4, MaxBatch = 8, MinFrames = 32, OptFrames = 680, MaxFrames = 2048 };
        var p = F5.BatchedContract.TrtProfileFor(trt, 612);
        Assert.Equal("x:1x32x100,cond:1x32x612,cond_drop:1x32x612,lengths:1,t:1,dt:1,cfg:1", p.Min);
        Assert.Equal("x:4x680x100,cond:4x680x612,cond_drop:4x680x612,lengths:4,t:4,dt:4,cfg:4", p.Opt);
        Assert.Equal("x:8x2048x100,cond:8x2048x612,cond_drop:8x2048x612,lengths:8,t:8,dt:8,cfg:8", p.Max);
    }

    [Theory]
    [InlineData("TensorRT,CUDA,CPU", new[] { ExecutionProvider.TensorRT, ExecutionProvider.CUDA, ExecutionProvider.CPU })]
    [InlineData("cuda", new[] { ExecutionProvider.CUDA, ExecutionProvider.CPU })]
    [InlineData(" CPU , cuda ", new[] { ExecutionProvider.CPU, ExecutionProvider.CUDA })]
    [InlineData("CUDA,CUDA,CPU", new[] { ExecutionProvider.CUDA, ExecutionProvider.CPU })]
    public void Provider_chains_parse(string text, ExecutionProvider[] expected) => Assert.Equal(expected, ProviderChain.Parse(text));

    [Fact]
    public void Unknown_provider_is_rejected() => Assert.Throws<FormatException>(() => ProviderChain.Parse("CUDA,ROCm"));

    [Theory]
    [InlineData("tiny-v1-batched-fused", "TensorRT,CUDA,CPU", "CUDA,CPU")]
    [InlineData("tiny-v1-batched-fused", "TensorRT,CPU", "CUDA,CPU")]
    [InlineData("tiny-v1-batched-fused", "CUDA,CPU", "CUDA,CPU")]
    [InlineData("tiny-v1-batched-f5ops", "TensorRT,CUDA,CPU", "CUDA,CPU")]
    [InlineData("tiny-v1-batched", "TensorRT,CUDA,CPU", "TensorRT,CUDA,CPU")]
    public void Fused_exports_put_CUDA_in_place_of_TensorRT_for_the_transformer(string model, string configured, string expected)
    {
        var logs = new ListLoggerFactory();
        var factory = new OnnxSessionFactory(new EngineOptions(), logs.CreateLogger("test"), Directory.GetCurrentDirectory());
        using var pre = factory.Create("preprocess", Path.Combine(Fixtures.Model(model), "F5_Preprocess.onnx"), ProviderChain.Parse("CPU"));
        var chain = F5.OnnxTtsEngineFactory.TransformerChain(new EngineOptions { TransformerProviders = configured }, pre, logs.CreateLogger("test"));
        Assert.Equal(expected, string.Join(',', chain));
        Assert.Equal(configured.Contains("TensorRT", StringComparison.Ordinal) && model != "tiny-v1-batched", logs.Entries.Any(e => e.Message.Contains("TensorRT is skipped", StringComparison.Ordinal)));
    }
}
