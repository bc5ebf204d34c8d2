using F5Tts.Engines.F5;
using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace F5Tts.Engines.Tests;

/// <summary>
/// The <c>f5tts.ops</c> custom-op library (src/Native/F5Tts.Ops, docs/custom-ops.md) as the build ships it beside
/// this assembly: where it is found, how the option resolves, the errors without it, and its CPU kernels against the
/// formulas of docs/custom-ops.md computed here in double precision (one-node graphs written with
/// <see cref="TinyGraph"/>, real ONNX Runtime sessions). Tolerance 1e-5 for fp32 (float accumulation over a row of
/// 8-16 values of magnitude ~1), 5e-3 for fp16 (half an fp16 ulp at |y| ~ 4 is 2e-3).
/// </summary>
public sealed class CustomOpsTests : IDisposable
{
    private const string Domain = "f5tts.ops";
    private static readonly IReadOnlyList<ExecutionProvider> Cpu = [ExecutionProvider.CPU];
    private readonly TempDirectory _dir = new();
    private readonly ListLoggerFactory _logs = new();

    public void Dispose()
    {
        _dir.Dispose();
        _logs.Dispose();
    }

    private static string BuiltLibrary => Path.Combine(AppContext.BaseDirectory, OnnxSessionFactory.CustomOpsFileName);

    private OnnxSessionFactory Factory(EngineOptions? options = null, string? appDirectory = null) =>
        new(options ?? new EngineOptions(), _logs.CreateLogger("test"), _dir.Path, appDirectory);

    [Fact]
    public void The_build_puts_the_library_beside_the_app_and_the_factory_registers_it()
    {
        Assert.True(File.Exists(BuiltLibrary), $"{BuiltLibrary} missing: src/Native/F5Tts.Ops/F5Tts.Ops.targets should have copied it");
        Assert.Equal(BuiltLibrary, Factory().CustomOpsLibrary);
    }

    [Fact]
    public void A_relative_configured_path_resolves_against_the_content_root()
    {
        Directory.CreateDirectory(_dir.File("native"));
        File.Copy(BuiltLibrary, _dir.File(Path.Combine("native", "libf5tts_ops.so")));
        var factory = Factory(new EngineOptions { CustomOpsLibrary = "native/libf5tts_ops.so" }, appDirectory: _dir.File("empty"));
        Assert.Equal(_dir.File(Path.Combine("native", "libf5tts_ops.so")), factory.CustomOpsLibrary);

        // Registered from there: a graph with the ops loads and runs.
        var model = WriteModulatedNorm(_dir.File("m.onnx"));
        using var s = factory.Create("transformer", model, Cpu);
        var outputs = Run(s, [("x", new float[2 * 3 * 8], [2, 3, 8]), ("scale1", new float[16], [2, 8]), ("shift", Enumerable.Repeat(0.5f, 16).ToArray(), [2, 8])], "y");
        Assert.All(outputs[0], v => Assert.Equal(0.5f, v));
    }

    [Fact]
    public void A_configured_path_that_does_not_exist_names_the_key_and_the_resolved_path()
    {
        var e = Assert.Throws<ModelLoadException>(() => Factory(new EngineOptions { CustomOpsLibrary = "nowhere/libf5tts_ops.so" }));
        Assert.Contains("F5Tts:Engine:CustomOpsLibrary", e.Message, StringComparison.Ordinal);
        Assert.Contains(_dir.File(Path.Combine("nowhere", "libf5tts_ops.so")), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_graph_with_the_ops_and_no_library_fails_with_a_message_naming_the_library_and_the_option()
    {
        var factory = Factory(appDirectory: _dir.File("no-library-here"));
        Assert.Null(factory.CustomOpsLibrary);
        var model = WriteModulatedNorm(_dir.File("F5_Transformer.onnx"));
        var e = Assert.Throws<ModelLoadException>(() => factory.Create("transformer", model, Cpu));
        Assert.Contains("F5_Transformer.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("libf5tts_ops.so", e.Message, StringComparison.Ordinal);
        Assert.Contains("F5Tts:Engine:CustomOpsLibrary", e.Message, StringComparison.Ordinal);
        Assert.Contains(_dir.File("no-library-here"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Graphs_without_the_ops_load_without_the_library_too()
    {
        var model = _dir.File("plain.onnx");
        TinyOnnx.Write(model, [new("x", TinyOnnx.Float, "N")], [new("y", TinyOnnx.Float, "N")]);
        using var s = Factory(appDirectory: _dir.File("no-library-here")).Create("decode", model, Cpu);
        Assert.Equal([ExecutionProvider.CPU], s.Providers);
    }

    [Fact]
    public void A_CPU_only_library_on_a_CUDA_chain_is_reported_before_the_Transformer_is_built()
    {
        var factory = Factory();
        // What the library says about itself: here it is built by build.sh, with CUDA kernels exactly when nvcc was
        // found at build time (none on the CI machine).
        var nvcc = File.Exists("/usr/local/cuda/bin/nvcc") || (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "nvcc")));
        Assert.Equal(nvcc, factory.CustomOpsHaveCuda);

        using var f5ops = factory.Create("preprocess", Path.Combine(Fixtures.Model("tiny-v1-batched-f5ops"), "F5_Preprocess.onnx"), Cpu);
        using var fused = factory.Create("preprocess", Path.Combine(Fixtures.Model("tiny-v1-batched-fused"), "F5_Preprocess.onnx"), Cpu);
        var logger = _logs.CreateLogger("test");
        var cuda = new[] { ExecutionProvider.CUDA, ExecutionProvider.CPU };
        Assert.Equal(!nvcc, OnnxTtsEngineFactory.WarnIfCustomOpsLackCuda(f5ops, cuda, factory, logger));
        Assert.False(OnnxTtsEngineFactory.WarnIfCustomOpsLackCuda(f5ops, Cpu, factory, logger));   // CPU chain: CPU kernels are right
        Assert.False(OnnxTtsEngineFactory.WarnIfCustomOpsLackCuda(fused, cuda, factory, logger));  // no custom ops in the graph
        Assert.Equal(nvcc ? 0 : 1, _logs.Warnings.Count(w => w.Contains("built without CUDA kernels", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_f5ops_fixture_declares_the_ops_and_needs_the_library()
    {
        var model = Fixtures.Model("tiny-v1-batched-f5ops");
        using (var pre = Factory().Create("preprocess", Path.Combine(model, "F5_Preprocess.onnx"), Cpu))
        {
            Assert.Equal("f5ops", pre.Metadata["f5tts.attention"]);
            Assert.Equal(Domain, pre.Metadata["f5tts.custom_ops"]);
        }

        var e = Assert.Throws<ModelLoadException>(() => Factory(appDirectory: _dir.File("no-library-here")).Create("transformer", Path.Combine(model, "F5_Transformer.onnx"), Cpu));
        Assert.Contains("F5_Transformer.onnx uses the f5tts.ops custom ops", e.Message, StringComparison.Ordinal);
        Assert.Contains("libf5tts_ops.so", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModulatedNorm_normalises_each_row_then_scales_and_shifts_per_item()
    {
        const int Items = 2, Frames = 3, Dim = 8;
        var x = Data(1, Items * Frames * Dim, 3f);
        var scale1 = Data(2, Items * Dim, 1f);
        var shift = Data(3, Items * Dim, 1f);
        using var s = Factory().Create("t", WriteModulatedNorm(_dir.File("m.onnx"), epsilon: 1e-5f), Cpu);

        var y = Run(s, [("x", x, [Items, Frames, Dim]), ("scale1", scale1, [Items, Dim]), ("shift", shift, [Items, Dim])], "y")[0];

        var expected = NormReference(x, null, null, null, scale1, shift, Frames, Dim, 1e-5).Y;
        AssertClose(expected, y, 1e-5, "ModulatedNorm y");
    }

    [Fact]
    public void GatedResidualNorm_adds_the_gated_biased_delta_then_normalises_and_modulates()
    {
        const int Items = 3, Frames = 4, Dim = 16;
        var (x, delta, bias, gate, scale1, shift) = GatedInputs(Items, Frames, Dim);
        using var s = Factory().Create("t", WriteGated(_dir.File("g.onnx"), TinyOnnx.Float), Cpu);

        var outputs = Run(s, [("x", x, [Items, Frames, Dim]), ("delta", delta, [Items, Frames, Dim]), ("bias", bias, [Dim]), ("gate", gate, [Items, Dim]), ("scale1", scale1, [Items, Dim]), ("shift", shift, [Items, Dim])], "y", "h");

        var (y, h) = NormReference(x, delta, bias, gate, scale1, shift, Frames, Dim, 1e-6);
        AssertClose(h, outputs[1], 1e-5, "GatedResidualNorm h");
        AssertClose(y, outputs[0], 1e-5, "GatedResidualNorm y");
    }

    [Fact]
    public void GatedResidualNorm_runs_in_fp16()
    {
        const int Items = 2, Frames = 3, Dim = 16;
        var (x, delta, bias, gate, scale1, shift) = GatedInputs(Items, Frames, Dim);
        float[][] inputs = [x, delta, bias, gate, scale1, shift];
        // The reference sees the same fp16-rounded inputs as the kernel.
        var rounded = inputs.Select(a => a.Select(v => (float)(Half)v).ToArray()).ToArray();
        using var s = Factory().Create("t", WriteGated(_dir.File("g16.onnx"), TinyOnnx.Float16), Cpu);
        long[][] shapes = [[Items, Frames, Dim], [Items, Frames, Dim], [Dim], [Items, Dim], [Items, Dim], [Items, Dim]];
        string[] names = ["x", "delta", "bias", "gate", "scale1", "shift"];
        var values = rounded.Select((a, i) => OrtValue.CreateTensorValueFromMemory(a.Select(v => (Float16)v).ToArray(), shapes[i])).ToList();
        try
        {
            using var run = new RunOptions();
            using var outputs = s.Session.Run(run, names, values, ["y", "h"]);
            var (y, h) = NormReference(rounded[0], rounded[1], rounded[2], rounded[3], rounded[4], rounded[5], Frames, Dim, 1e-6);
            AssertClose(h, outputs[1].GetTensorDataAsSpan<Float16>().ToArray().Select(v => (float)v).ToArray(), 5e-3, "fp16 h");
            AssertClose(y, outputs[0].GetTensorDataAsSpan<Float16>().ToArray().Select(v => (float)v).ToArray(), 5e-3, "fp16 y");
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 1)]
    public void QkvRotary_splits_adds_the_bias_and_rotates_q_and_k_of_the_rotary_heads(int heads, int rotaryHeads)
    {
        const int Items = 2, Frames = 5, DimHead = 4, MaxFrames = 7;
        var inner = heads * DimHead;
        var qkv = Data(4, Items * Frames * 3 * inner, 1f);
        var bias = Data(5, 3 * inner, 0.5f);
        var angles = Enumerable.Range(0, MaxFrames * DimHead / 2).Select(i => 0.3 * (i / (DimHead / 2)) / (1 + (i % (DimHead / 2)))).ToArray();
        var cos = angles.Select(a => (float)Math.Cos(a)).ToArray();
        var sin = angles.Select(a => (float)Math.Sin(a)).ToArray();
        var model = _dir.File("qkv.onnx");
        new TinyGraph()
            .Input("qkv", TinyOnnx.Float, "R", "N", 3 * inner)
            .Floats("bias", bias, 3 * inner)
            .Floats("cos", cos, MaxFrames, DimHead / 2)
            .Floats("sin", sin, MaxFrames, DimHead / 2)
            .DomainNode(Domain, "QkvRotary", ["qkv", "bias", "cos", "sin"], ["q", "k", "v"], ("num_heads", (long)heads), ("rotary_heads", (long)rotaryHeads))
            .Output("q", TinyOnnx.Float, "R", "N", inner)
            .Output("k", TinyOnnx.Float, "R", "N", inner)
            .Output("v", TinyOnnx.Float, "R", "N", inner)
            .Write(model);
        using var s = Factory().Create("t", model, Cpu);

        var outputs = Run(s, [("qkv", qkv, [Items, Frames, 3 * inner])], "q", "k", "v");

        for (var part = 0; part < 3; part++)
        {
            var expected = new float[Items * Frames * inner];
            for (var r = 0; r < Items * Frames; r++)
            {
                var n = r % Frames;
                for (var c = 0; c < inner; c += 2)
                {
                    var src = (r * 3 * inner) + (part * inner) + c;
                    double a = qkv[src] + bias[(part * inner) + c], b = qkv[src + 1] + bias[(part * inner) + c + 1];
                    if (part < 2 && c / DimHead < rotaryHeads)
                    {
                        var i = (n * DimHead / 2) + (c % DimHead / 2);
                        (a, b) = ((a * cos[i]) - (b * sin[i]), (b * cos[i]) + (a * sin[i]));
                    }

                    expected[(r * inner) + c] = (float)a;
                    expected[(r * inner) + c + 1] = (float)b;
                }
            }

            AssertClose(expected, outputs[part], 1e-5, "QkvRotary " + "qkv"[part]);
        }
    }

    [Fact]
    public void ConvPositionEmbedding_is_two_masked_grouped_convolutions_with_mish_and_the_residual()
    {
        // 2 items, the second with 3 padded frames (keep 0) that must not reach its valid frames; 2 groups of 4
        // channels, 5 taps.
        const int Items = 2, Frames = 9, Groups = 2, C = 4, Dim = Groups * C, Taps = 5;
        var x = Data(21, Items * Frames * Dim, 1.5f);
        var w1 = Data(22, Groups * C * Taps * C, 0.4f);
        var w2 = Data(23, Groups * C * Taps * C, 0.4f);
        var b1 = Data(24, Dim, 0.3f);
        var b2 = Data(25, Dim, 0.3f);
        var keep = Enumerable.Range(0, Items * Frames).Select(i => i >= Frames + 6 ? 0f : 1f).ToArray();
        var model = _dir.File("conv.onnx");
        new TinyGraph()
            .Input("x", TinyOnnx.Float, "R", "N", Dim)
            .Input("keep", TinyOnnx.Float, "R", "N", 1)
            .Floats("w1", w1, Groups, C, Taps, C)
            .Floats("b1", b1, Dim)
            .Floats("w2", w2, Groups, C, Taps, C)
            .Floats("b2", b2, Dim)
            .DomainNode(Domain, "ConvPositionEmbedding", ["x", "w1", "b1", "w2", "b2", "keep"], ["y"])
            .Output("y", TinyOnnx.Float, "R", "N", Dim)
            .Write(model);
        using var s = Factory().Create("t", model, Cpu);

        var y = Run(s, [("x", x, [Items, Frames, Dim]), ("keep", keep, [Items, Frames, 1])], "y")[0];

        // docs/custom-ops.md: u = keep x; v = keep mish(conv1(u) + b1); y = x + keep mish(conv2(v) + b2)
        static double Mish(double t) => t * Math.Tanh(Math.Log(1 + Math.Exp(t)));
        double[] Conv(double[] input, float[] w, float[] b)
        {
            var output = new double[Frames * Dim];
            for (var n = 0; n < Frames; n++)
            {
                for (var d = 0; d < Dim; d++)
                {
                    int g = d / C, o = d % C;
                    double sum = b[d];
                    for (var k = 0; k < Taps; k++)
                    {
                        var m = n + k - (Taps / 2);
                        if (m < 0 || m >= Frames)
                        {
                            continue;
                        }

                        for (var c = 0; c < C; c++)
                        {
                            sum += w[(((((g * C) + o) * Taps) + k) * C) + c] * input[(m * Dim) + (g * C) + c];
                        }
                    }

                    output[(n * Dim) + d] = sum;
                }
            }

            return output;
        }

        var expected = new float[x.Length];
        for (var r = 0; r < Items; r++)
        {
            double Keep(int i) => keep[(r * Frames) + (i / Dim)];
            var u = Enumerable.Range(0, Frames * Dim).Select(i => x[(r * Frames * Dim) + i] * Keep(i)).ToArray();
            var v = Conv(u, w1, b1).Select((t, i) => Keep(i) * Mish(t)).ToArray();
            var t2 = Conv(v, w2, b2);
            for (var i = 0; i < Frames * Dim; i++)
            {
                expected[(r * Frames * Dim) + i] = (float)(x[(r * Frames * Dim) + i] + (Keep(i) * Mish(t2[i])));
            }
        }

        AssertClose(expected, y, 1e-5, "ConvPositionEmbedding y");
        // padded frames: the residual alone
        for (var i = (Frames + 6) * Dim; i < Items * Frames * Dim; i++)
        {
            Assert.Equal(x[i], y[i]);
        }
    }

    [Fact]
    public void GemmBiasGelu_is_the_tanh_gelu_of_the_biased_product()
    {
        const int Items = 2, Frames = 3, In = 5, Out = 7;
        var x = Data(31, Items * Frames * In, 1.5f);
        var w = Data(32, In * Out, 0.8f);
        var bias = Data(33, Out, 0.5f);
        var model = _dir.File("gelu.onnx");
        new TinyGraph()
            .Input("x", TinyOnnx.Float, "R", "N", In)
            .Floats("w", w, In, Out)
            .Floats("bias", bias, Out)
            .DomainNode(Domain, "GemmBiasGelu", ["x", "w", "bias"], ["y"])
            .Output("y", TinyOnnx.Float, "R", "N", Out)
            .Write(model);
        using var s = Factory().Create("t", model, Cpu);

        var y = Run(s, [("x", x, [Items, Frames, In])], "y")[0];

        var expected = new float[Items * Frames * Out];
        for (var m = 0; m < Items * Frames; m++)
        {
            for (var f = 0; f < Out; f++)
            {
                double t = bias[f];
                for (var i = 0; i < In; i++)
                {
                    t += (double)x[(m * In) + i] * w[(i * Out) + f];
                }

                expected[(m * Out) + f] = (float)(0.5 * t * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (t + (0.044715 * t * t * t)))));
            }
        }

        AssertClose(expected, y, 1e-5, "GemmBiasGelu y");
    }

    [Fact]
    public void A_wrong_shape_fails_the_run_with_the_op_and_the_shapes()
    {
        const int Items = 2, Frames = 3, Dim = 8;
        using var s = Factory().Create("t", WriteModulatedNorm(_dir.File("m.onnx")), Cpu);
        var e = Assert.Throws<OnnxRuntimeException>(() => Run(s, [("x", new float[Items * Frames * Dim], [Items, Frames, Dim]), ("scale1", new float[Dim], [1, Dim]), ("shift", new float[Items * Dim], [Items, Dim])], "y"));
        Assert.Contains("f5tts.ops::ModulatedNorm: scale1 has shape [1,8], expected [2,8]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvPositionEmbedding_rejects_an_even_kernel_naming_the_shapes()
    {
        var model = _dir.File("conv-even.onnx");
        new TinyGraph()
            .Input("x", TinyOnnx.Float, "R", "N", 8)
            .Input("keep", TinyOnnx.Float, "R", "N", 1)
            .Floats("w1", new float[2 * 4 * 4 * 4], 2, 4, 4, 4)
            .Floats("b1", new float[8], 8)
            .Floats("w2", new float[2 * 4 * 4 * 4], 2, 4, 4, 4)
            .Floats("b2", new float[8], 8)
            .DomainNode(Domain, "ConvPositionEmbedding", ["x", "w1", "b1", "w2", "b2", "keep"], ["y"])
            .Output("y", TinyOnnx.Float, "R", "N", 8)
            .Write(model);
        using var s = Factory().Create("t", model, Cpu);
        var e = Assert.Throws<OnnxRuntimeException>(() => Run(s, [("x", new float[8], [1, 1, 8]), ("keep", [1f], [1, 1, 1])], "y"));
        Assert.Contains("f5tts.ops::ConvPositionEmbedding: w1 must be [G, C, K, C] with G*C = D = 8 and K odd, got [2,4,4,4]", e.Message, StringComparison.Ordinal);
    }

    private static string WriteModulatedNorm(string path, float epsilon = 1e-6f)
    {
        new TinyGraph()
            .Input("x", TinyOnnx.Float, "R", "N", "D")
            .Input("scale1", TinyOnnx.Float, "R", "D")
            .Input("shift", TinyOnnx.Float, "R", "D")
            .DomainNode(Domain, "ModulatedNorm", ["x", "scale1", "shift"], ["y"], ("epsilon", epsilon))
            .Output("y", TinyOnnx.Float, "R", "N", "D")
            .Write(path);
        return path;
    }

    private static string WriteGated(string path, int type)
    {
        new TinyGraph()
            .Input("x", type, "R", "N", "D")
            .Input("delta", type, "R", "N", "D")
            .Input("bias", type, "D")
            .Input("gate", type, "R", "D")
            .Input("scale1", type, "R", "D")
            .Input("shift", type, "R", "D")
            .DomainNode(Domain, "GatedResidualNorm", ["x", "delta", "bias", "gate", "scale1", "shift"], ["y", "h"])
            .Output("y", type, "R", "N", "D")
            .Output("h", type, "R", "N", "D")
            .Write(path);
        return path;
    }

    private static (float[] X, float[] Delta, float[] Bias, float[] Gate, float[] Scale1, float[] Shift) GatedInputs(int items, int frames, int dim) =>
        (Data(11, items * frames * dim, 2f), Data(12, items * frames * dim, 1f), Data(13, dim, 0.5f), Data(14, items * dim, 1f), Data(15, items * dim, 1.5f), Data(16, items * dim, 0.5f));

    /// <summary>docs/custom-ops.md: h = x + gate[item] * (delta + bias); y = (h - mean) / sqrt(var + eps) * scale1[item] + shift[item].</summary>
    private static (float[] Y, float[] H) NormReference(float[] x, float[]? delta, float[]? bias, float[]? gate, float[] scale1, float[] shift, int frames, int dim, double eps)
    {
        var y = new float[x.Length];
        var h = new float[x.Length];
        var row = new double[dim];
        for (var r = 0; r < x.Length / dim; r++)
        {
            var item = r / frames;
            for (var c = 0; c < dim; c++)
            {
                var i = (r * dim) + c;
                row[c] = delta is null ? x[i] : x[i] + ((double)gate![(item * dim) + c] * (delta[i] + (double)bias![c]));
                h[i] = (float)row[c];
            }

            var mean = row.Average();
            var variance = row.Select(v => (v - mean) * (v - mean)).Average();
            for (var c = 0; c < dim; c++)
            {
                y[(r * dim) + c] = (float)(((row[c] - mean) / Math.Sqrt(variance + eps) * scale1[(item * dim) + c]) + shift[(item * dim) + c]);
            }
        }

        return (y, h);
    }

    private static List<float[]> Run(StageSession s, (string Name, float[] Data, long[] Shape)[] inputs, params string[] outputs)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToList();
        try
        {
            using var run = new RunOptions();
            using var results = s.Session.Run(run, inputs.Select(i => i.Name).ToList(), values, outputs);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToList();
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    private static float[] Data(int seed, int count, float scale)
    {
        // A fixed LCG: reproducible values in [-scale, scale] without System.Random's unspecified sequence.
        var state = (uint)seed * 2654435761u;
        var data = new float[count];
        for (var i = 0; i < count; i++)
        {
            state = (state * 1664525u) + 1013904223u;
            data[i] = ((state >> 8) / (float)(1 << 24) * 2f - 1f) * scale;
        }

        return data;
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var error = Close.MaxAbs(expected, actual);
        Assert.True(error <= tolerance, $"{what}: max abs error {error:E3} > {tolerance:E1}");
    }
}
