using F5Tts.Engines.F5;
using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;

namespace F5Tts.Engines.Tests;

public sealed class ModelLoadTests
{
    private static readonly EngineOptions CpuOptions = new() { TransformerProviders = "CPU", PreprocessProviders = "CPU", DecodeProviders = "CPU" };

    private static Dictionary<string, string> Batched => new() { [ModelContracts.ContractKey] = ModelContracts.Batched };

    /// <summary>Identity graphs with the f5tts-batched/1 signature (enough to pass or fail contract checks).</summary>
    private static void WriteBatchedSignature(TempDirectory dir, bool transformerWithoutCfg = false, string contract = ModelContracts.Batched)
    {
        var meta = new Dictionary<string, string> { [ModelContracts.ContractKey] = contract };
        TinyOnnx.Write(dir.File(ModelContracts.PreprocessFile),
            [new("audio", TinyOnnx.Float, 1, "S"), new("text_ids", TinyOnnx.Int32, 1, "T"), new("total_frames", TinyOnnx.Int64, 1)],
            [new("cond", TinyOnnx.Float, 1, "S"), new("cond_drop", TinyOnnx.Float, 1, "S"), new("ref_frames", TinyOnnx.Int64, 1)], meta);
        List<TinyOnnx.Tensor> trIn =
        [
            new("x", TinyOnnx.Float, "B", "N", 100), new("cond", TinyOnnx.Float, "B", "N", 612), new("cond_drop", TinyOnnx.Float, "B", "N", 612),
            new("lengths", TinyOnnx.Int64, "B"), new("t", TinyOnnx.Float, "B"), new("dt", TinyOnnx.Float, "B"),
        ];
        if (!transformerWithoutCfg)
        {
            trIn.Add(new("cfg", TinyOnnx.Float, "B"));
        }

        TinyOnnx.Write(dir.File(ModelContracts.TransformerFile), trIn, [new("x_next", TinyOnnx.Float, "B", "N", 100)], meta);
        TinyOnnx.Write(dir.File(ModelContracts.DecodeFile),
            [new("mel", TinyOnnx.Float, "B", "T", 100), new("lengths", TinyOnnx.Int64, "B")],
            [new("audio", TinyOnnx.Float, "B", "T", 100)], meta);
        File.WriteAllLines(dir.File(ModelContracts.VocabFile), [" ", "a", "b"]);
    }

    [Fact]
    public void Missing_directory_is_named()
    {
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create("/nonexistent/f5-model", CpuOptions, new ListLoggerFactory()));
        Assert.Contains("/nonexistent/f5-model", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Theory]
    [InlineData(ModelContracts.PreprocessFile)]
    [InlineData(ModelContracts.TransformerFile)]
    [InlineData(ModelContracts.DecodeFile)]
    [InlineData(ModelContracts.VocabFile)]
    public void Missing_file_is_named(string file)
    {
        using var dir = new TempDirectory();
        WriteBatchedSignature(dir);
        File.Delete(dir.File(file));
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory()));
        Assert.Contains(file, e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Empty_vocab_is_named()
    {
        using var dir = new TempDirectory();
        WriteBatchedSignature(dir);
        File.WriteAllText(dir.File(ModelContracts.VocabFile), string.Empty);
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory()));
        Assert.Contains("vocab.txt", e.Message);
    }

    [Fact]
    public void Vocab_not_matching_the_export_is_named()
    {
        using var dir = new TempDirectory();
        foreach (var f in Directory.GetFiles(Fixtures.Model("tiny-v1-batched")))
        {
            File.Copy(f, dir.File(Path.GetFileName(f)));
        }

        File.WriteAllLines(dir.File(ModelContracts.VocabFile), File.ReadLines(dir.File(ModelContracts.VocabFile)).Take(100).ToArray());
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory()));
        Assert.Contains("vocab.txt", e.Message);
        Assert.Contains("2545", e.Message);
    }

    [Fact]
    public void Unknown_contract_in_metadata_is_named()
    {
        using var dir = new TempDirectory();
        WriteBatchedSignature(dir, contract: "f5tts-batched/9");
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory()));
        Assert.Contains("F5_Preprocess.onnx", e.Message);
        Assert.Contains("f5tts-batched/9", e.Message);
    }

    [Fact]
    public void Unknown_signature_without_metadata_is_named()
    {
        using var dir = new TempDirectory();
        WriteBatchedSignature(dir);
        TinyOnnx.Write(dir.File(ModelContracts.PreprocessFile), [new("audio", TinyOnnx.Float, 1, "S")], [new("mel", TinyOnnx.Float, 1, "S")]);
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory()));
        Assert.Contains("F5_Preprocess.onnx", e.Message);
        Assert.Contains("unknown model contract", e.Message);
    }

    [Fact]
    public void Transformer_missing_an_input_is_named()
    {
        using var dir = new TempDirectory();
        WriteBatchedSignature(dir, transformerWithoutCfg: true);
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory()));
        Assert.Contains("F5_Transformer.onnx", e.Message);
        Assert.Contains("'cfg'", e.Message);
    }

    [Fact]
    public void Batched_signature_loads_and_reports_cpu_providers()
    {
        using var dir = new TempDirectory();
        WriteBatchedSignature(dir);
        using var engine = OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory());
        Assert.Equal(ModelContracts.Batched, engine.Description.Contract);
        Assert.True(engine.Description.SupportsBatching);
        Assert.Null(engine.Description.FixedNfeSteps);
        Assert.All(engine.Description.ProvidersByStage.Values, v => Assert.Equal("CPU", v));
        Assert.Equal(["decode", "preprocess", "transformer"], engine.Description.ProvidersByStage.Keys.Order());
    }

    [Fact]
    public void Dakeqq_signature_is_detected_without_metadata_and_binds_by_position()
    {
        using var dir = new TempDirectory();
        TinyOnnx.Write(dir.File(ModelContracts.PreprocessFile),
            [new("audio", TinyOnnx.Int16, 1, 1, "S"), new("text_ids", TinyOnnx.Int32, 1, "T"), new("max_duration", TinyOnnx.Int64, 1)],
            [
                new("noise", TinyOnnx.Float, 1, "N", 100), new("rope_cos_q", TinyOnnx.Float, 2, 16, "N", 64), new("rope_sin_q", TinyOnnx.Float, 2, 16, "N", 64),
                new("rope_cos_k", TinyOnnx.Float, 2, 16, 64, "N"), new("rope_sin_k", TinyOnnx.Float, 2, 16, 64, "N"),
                new("cat_mel_text", TinyOnnx.Float, 1, "N", 612), new("cat_mel_text_drop", TinyOnnx.Float, 1, "N", 612), new("ref_signal_len", TinyOnnx.Int64),
            ]);
        TinyOnnx.Write(dir.File(ModelContracts.TransformerFile),
            [
                new("noise", TinyOnnx.Float, 1, "N", 100), new("rope_cos_q", TinyOnnx.Float, 2, 16, "N", 64), new("rope_sin_q", TinyOnnx.Float, 2, 16, "N", 64),
                new("rope_cos_k", TinyOnnx.Float, 2, 16, 64, "N"), new("rope_sin_k", TinyOnnx.Float, 2, 16, 64, "N"),
                new("cat_mel_text", TinyOnnx.Float, 1, "N", 612), new("cat_mel_text_drop", TinyOnnx.Float, 1, "N", 612), new("time_step.1", TinyOnnx.Int32, 1),
            ],
            [new("denoised", TinyOnnx.Float, 1, "N", 100), new("time_step", TinyOnnx.Int32, 1)]);
        TinyOnnx.Write(dir.File(ModelContracts.DecodeFile),
            [new("denoised", TinyOnnx.Float, 1, "N", 100), new("ref_signal_len", TinyOnnx.Int64)],
            [new("output_audio", TinyOnnx.Int16, 1, 1, "L")]);
        File.WriteAllLines(dir.File(ModelContracts.VocabFile), [" ", "a"]);

        using var engine = OnnxTtsEngineFactory.Create(dir.Path, CpuOptions, new ListLoggerFactory());
        Assert.Equal(ModelContracts.Dakeqq, engine.Description.Contract);
        Assert.Equal(31, engine.Description.FixedNfeSteps);
        Assert.False(engine.Description.SupportsBatching);
        Assert.Equal(1, engine.Description.MaxBatchSize);
    }
}
