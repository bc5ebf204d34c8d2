using F5Tts.Engines.F5;
using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using F5Tts.Engines.Tests.Support;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Sampling;

namespace F5Tts.Engines.Tests;

/// <summary>
/// The time modulation table of f5ops exports (<see cref="TimeModulationTable"/>, docs/engine.md "Time modulation
/// table") on the toy model's time-table variant, whose Transformer reads t from the item's row: every result must equal
/// the plain toy's (which takes t directly), at exact and at static shapes, with a table large enough for every
/// schedule and with one so small that steps keep refilling it. The golden parity of the real f5ops graphs with the
/// table is in <see cref="F5OpsBatchedGoldenTests"/>.
/// </summary>
public sealed class TimeModulationTableTests : IDisposable
{
    private readonly TempDirectory _plainDir = new();
    private readonly TempDirectory _tableDir = new();
    private readonly ListLoggerFactory _logs = new();

    public TimeModulationTableTests()
    {
        ToyBatchedModel.Write(_plainDir.Path);
        ToyBatchedModel.Write(_tableDir.Path, timeTable: true);
    }

    public void Dispose()
    {
        _plainDir.Dispose();
        _tableDir.Dispose();
    }

    private static EngineOptions Options(int rows, bool staticShapes) => new()
    {
        TransformerProviders = "CPU",
        PreprocessProviders = "CPU",
        DecodeProviders = "CPU",
        MaxBatchSize = 4,
        WarmUpFrames = 200,
        TimeTableRows = rows,
        StaticShapes = staticShapes,
        FrameBucket = 32,
    };

    private static EngineInput Input(int frames, long seed, int nfe) => new(
        GaussianNoise.Generate(seed + 1000, 4000),
        Enumerable.Range(0, 11).Select(i => 1 + ((i * 7 + (int)seed) % (ToyBatchedModel.VocabSize - 1))).ToArray(),
        frames,
        new SamplerSettings(NfeSteps: nfe, CfgStrength: 2f, Seed: seed),
        1f,
        null);

    /// <summary>Three items with different schedules; the third joins after two steps and the first leaves early.</summary>
    private static List<float[]> RunMixedBatch(ITtsEngine engine)
    {
        var a = engine.Prepare(Input(120, 1, 8), CancellationToken.None);
        var b = engine.Prepare(Input(90, 2, 7), CancellationToken.None);
        var c = engine.Prepare(Input(150, 3, 5), CancellationToken.None);
        try
        {
            var results = new List<float[]>();
            for (var s = 0; s < 2; s++)
            {
                engine.RunStep([a, b], CancellationToken.None);
            }

            var active = new List<IEngineItem> { a, b, c };
            while (active.Count > 0)
            {
                engine.RunStep(active, CancellationToken.None);
                foreach (var done in active.Where(i => i.IsComplete).ToList())
                {
                    results.Add(engine.Decode([done], CancellationToken.None)[0]);
                    active.Remove(done);
                }
            }

            return results;
        }
        finally
        {
            a.Dispose();
            b.Dispose();
            c.Dispose();
        }
    }

    [Theory]
    [InlineData(256, false)]
    [InlineData(256, true)]
    [InlineData(4, false)]
    [InlineData(4, true)]
    public void Results_equal_the_model_that_takes_t(int rows, bool staticShapes)
    {
        using var plain = OnnxTtsEngineFactory.Create(_plainDir.Path, Options(256, staticShapes), _logs);
        using var table = (BatchedF5Engine)OnnxTtsEngineFactory.Create(_tableDir.Path, Options(rows, staticShapes), _logs);
        Assert.Null(((BatchedF5Engine)plain).TimeTable);
        var expected = RunMixedBatch(plain);
        var actual = RunMixedBatch(table);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            // The same float operations on the same t: bit-for-bit equal.
            Assert.Equal(expected[i], actual[i]);
        }

        var t = table.TimeTable!;
        Assert.Equal(rows, t.Rows);
        Assert.Equal(3, t.Width);
        if (rows == 256)
        {
            // Room for every schedule: each distinct time computed once (8 + 7 + 5 grid times; t = 0 shared).
            var distinct = new[] { 8, 7, 5 }.SelectMany(n => TimeGrid.Create(n, -1f).Times[..n].ToArray()).Distinct().Count();
            Assert.Equal(distinct, t.RowsComputed);
            Assert.Equal(0, t.Refills);
        }
        else
        {
            Assert.True(t.Refills > 0, "a 4-row table must have been refilled");
        }
    }

    [Fact]
    public void A_repeated_schedule_computes_no_new_rows()
    {
        using var engine = (BatchedF5Engine)OnnxTtsEngineFactory.Create(_tableDir.Path, Options(256, staticShapes: true), _logs);
        using (var first = engine.Prepare(Input(100, 5, 8), CancellationToken.None))
        {
            engine.RunStep([first], CancellationToken.None);
        }

        var computed = engine.TimeTable!.RowsComputed;
        Assert.Equal(8, computed); // the whole schedule at the first step
        using var again = engine.Prepare(Input(70, 6, 8), CancellationToken.None);
        while (!again.IsComplete)
        {
            engine.RunStep([again], CancellationToken.None);
        }

        Assert.Equal(computed, engine.TimeTable.RowsComputed);
    }

    [Fact]
    public void Steady_state_step_with_the_table_does_not_allocate()
    {
        using var engine = (BatchedF5Engine)OnnxTtsEngineFactory.Create(_tableDir.Path, Options(256, staticShapes: true), _logs);
        using var a = engine.Prepare(Input(100, 5, 16), CancellationToken.None);
        using var b = engine.Prepare(Input(80, 6, 12), CancellationToken.None);
        List<IEngineItem> items = [a, b];
        engine.RunStep(items, CancellationToken.None); // packs, computes both schedules' rows, binds parity 0
        engine.RunStep(items, CancellationToken.None); // binds parity 1
        var before = GC.GetAllocatedBytesForCurrentThread();
        engine.RunStep(items, CancellationToken.None);
        engine.RunStep(items, CancellationToken.None);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Missing_modulation_graph_is_a_load_error_naming_the_file()
    {
        File.Delete(Path.Combine(_tableDir.Path, ModelContracts.TimeModulationFile));
        var e = Assert.Throws<ModelLoadException>(() => OnnxTtsEngineFactory.Create(_tableDir.Path, Options(16, false), _logs));
        Assert.Contains(ModelContracts.TimeModulationFile, e.Message);
        Assert.Contains("time_table", e.Message);
    }

    [Fact]
    public void Table_smaller_than_the_batch_limit_is_rejected_at_start()
    {
        var result = new EngineOptionsValidator().Validate(null, Options(rows: 3, staticShapes: false));
        Assert.True(result.Failed);
        Assert.Contains("TimeTableRows (3) must be at least MaxBatchSize (4)", result.FailureMessage);
    }
}
