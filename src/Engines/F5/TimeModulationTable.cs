using F5Tts.Engines.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// The time modulation table of an <c>--attention f5ops</c> export (docs/engine.md "Time modulation table"). The AdaLN
/// vectors of all blocks depend on the step's time t alone, and computing them is one GEMM that reads every
/// modulation weight (281 MB in fp16 for F5TTS_v1_Base: ≈ 0.1 ms of each batch-1 step on an H100). So the export
/// splits them off into <c>F5_TimeModulation.onnx</c> (t [R] → rows [R, M]); this class runs it once per distinct t,
/// keeps the rows in one buffer of the Transformer's memory (device on a GPU, so CUDA graphs can read it at a fixed
/// address) and gives each item of a step its row index, which the Transformer graph gathers.
/// Rows are handed out in order; when a step needs rows the table has no room for, the table starts over (row 0 is
/// always computed once any step ran, so padding rows of a bucket may point at it).
/// </summary>
internal sealed class TimeModulationTable : IDisposable
{
    /// <summary>Input of the Transformer (and output of the modulation graph) holding the table.</summary>
    public const string TableName = "time_table";

    /// <summary>Input of the Transformer: each item's row, int64 [B].</summary>
    public const string IndexName = "time_index";

    private const string TimeName = "t";

    private readonly StageSession _session;
    private readonly NativeBuffer _table;
    private readonly NativeBuffer _hostTimes;
    private readonly TensorElementType _type;
    private readonly int _elementSize;
    private readonly RunOptions _runOptions = new();
    private readonly Dictionary<int, int> _rowOf = []; // bits of t → row
    private readonly List<int> _pending = []; // bits of the times to compute
    private readonly ILogger _logger;
    private bool _disposed;

    private TimeModulationTable(StageSession session, NativeBuffer table, NativeBuffer hostTimes, TensorElementType type, int rows, int width, ILogger logger)
    {
        _session = session;
        _table = table;
        _hostTimes = hostTimes;
        _type = type;
        _elementSize = type == TensorElementType.Float16 ? 2 : sizeof(float);
        Rows = rows;
        Width = width;
        _logger = logger;
        Table = table.View(type, [rows, width], _elementSize);
    }

    /// <summary>Rows of the table.</summary>
    public int Rows { get; }

    /// <summary>Width M of a row: (6·depth + 2)·dim.</summary>
    public int Width { get; }

    /// <summary>The whole table [Rows, Width] (bound once to every Transformer binding).</summary>
    public OrtValue Table { get; }

    /// <summary>Rows computed so far, refills included (for tests and logs).</summary>
    public int RowsComputed { get; private set; }

    /// <summary>Times the table was full and started over (for tests and logs).</summary>
    public int Refills { get; private set; }

    /// <summary>
    /// The table for <paramref name="transformer"/> when its graph takes <see cref="TableName"/>, else null; throws a
    /// <see cref="ModelLoadException"/> when the modulation graph is missing or does not match.
    /// </summary>
    public static TimeModulationTable? Create(StageSession transformer, Func<StageSession?> openModulation, DeviceMemory memory, int rows, ILogger logger)
    {
        if (!transformer.Session.InputMetadata.TryGetValue(TableName, out var input))
        {
            return null;
        }

        var session = openModulation() ?? throw new ModelLoadException(
            $"{transformer.FileName} takes a '{TableName}' input, so the export needs {ModelContracts.TimeModulationFile} beside it (re-export with tools/export --attention f5ops).");
        NativeBuffer? table = null;
        NativeBuffer? times = null;
        try
        {
            var type = input.ElementDataType;
            var width = input.Dimensions.Length == 2 ? input.Dimensions[1] : 0;
            OnnxTtsEngineFactory.Require(transformer, input.IsTensor && type is TensorElementType.Float16 or TensorElementType.Float && width > 0, $"input '{TableName}' must be a float16 or float [rows, M] tensor with a fixed M");
            OnnxTtsEngineFactory.Require(transformer, transformer.Session.InputMetadata.TryGetValue(IndexName, out var index) && index.IsTensor && index.ElementDataType == TensorElementType.Int64, $"input '{IndexName}' (Int64) must come with '{TableName}'");
            OnnxTtsEngineFactory.Require(session, session.Session.InputMetadata.TryGetValue(TimeName, out var t) && t.IsTensor && t.ElementDataType == TensorElementType.Float, $"input '{TimeName}' (Float) is missing or of another type");
            OnnxTtsEngineFactory.Require(session, session.Session.OutputMetadata.TryGetValue(TableName, out var output) && output.IsTensor && output.ElementDataType == type && output.Dimensions.Length == 2 && output.Dimensions[1] == width, $"output '{TableName}' must be {type} [rows, {width}] as the Transformer's input");
            var elementSize = type == TensorElementType.Float16 ? 2 : sizeof(float);
            table = memory.Allocate(checked((long)rows * width * elementSize));
            times = NativeBuffer.AllocateHost((long)rows * sizeof(float));
            logger.LogInformation(
                "Time modulation table: {Rows} rows × {Width} {Type} ({MiB:0.0} MiB of {Memory} memory), filled by {File} once per distinct t.",
                rows, width, type, table.Bytes / 1048576.0, memory.IsDevice ? "device" : "host", session.FileName);
            return new TimeModulationTable(session, table, times, type, rows, width, logger);
        }
        catch
        {
            table?.Dispose();
            times?.Dispose();
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the row of each item's current time into <paramref name="indices"/>, computing the rows the table lacks
    /// first. An item whose current time is new brings the rest of its schedule along (one modulation run per new
    /// schedule rather than one per step) when the table has room for it. No allocation when every row is there.
    /// </summary>
    public void Lookup(IReadOnlyList<BatchedItem> items, Span<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (items.Count > Rows)
        {
            throw new ArgumentException($"A step of {items.Count} items needs more rows than the time table has ({Rows}).", nameof(items));
        }

        _pending.Clear();
        for (var i = 0; i < items.Count; i++)
        {
            Want(Bits(items[i].Grid.TimeAt(items[i].StepsDone)));
        }

        if (_pending.Count > 0)
        {
            Fill(items);
        }

        for (var i = 0; i < items.Count; i++)
        {
            indices[i] = _rowOf[Bits(items[i].Grid.TimeAt(items[i].StepsDone))];
        }
    }

    private void Fill(IReadOnlyList<BatchedItem> items)
    {
        if (_rowOf.Count + _pending.Count > Rows)
        {
            // Full: start over with this step's times (all of them: the rows of the others are reused too).
            _rowOf.Clear();
            Refills++;
            _logger.LogDebug("Time modulation table full ({Rows} rows): refilled.", Rows);
            _pending.Clear();
            for (var i = 0; i < items.Count; i++)
            {
                Want(Bits(items[i].Grid.TimeAt(items[i].StepsDone)));
            }
        }

        var needed = _pending.Count;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var grid = item.Grid;
            for (var s = item.StepsDone + 1; s < grid.Steps; s++)
            {
                Want(Bits(grid.TimeAt(s)));
            }
        }

        if (_rowOf.Count + _pending.Count > Rows)
        {
            _pending.RemoveRange(needed, _pending.Count - needed); // no room for the rest of the schedules: this step only
        }

        Compute(_rowOf.Count, _pending);
    }

    private void Want(int bits)
    {
        if (!_rowOf.ContainsKey(bits) && !_pending.Contains(bits))
        {
            _pending.Add(bits);
        }
    }

    private void Compute(int first, List<int> times)
    {
        var k = times.Count;
        var host = _hostTimes.AsSpan<float>(k);
        for (var i = 0; i < k; i++)
        {
            host[i] = BitConverter.Int32BitsToSingle(times[i]);
        }

        using var t = _hostTimes.View<float>(k);
        using var rows = _table.View(_type, [k, Width], _elementSize, (long)first * Width * _elementSize);
        using var binding = _session.Session.CreateIoBinding();
        binding.BindInput(TimeName, t);
        binding.BindOutput(TableName, rows);
        _session.Session.RunWithBinding(_runOptions, binding);
        for (var i = 0; i < k; i++)
        {
            _rowOf[times[i]] = first + i;
        }

        RowsComputed += k;
        _logger.LogDebug("Time modulation rows {First}..{Last} computed for {Count} new times.", first, first + k - 1, k);
    }

    private static int Bits(float t) => BitConverter.SingleToInt32Bits(t);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Table.Dispose();
        _table.Dispose();
        _hostTimes.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
