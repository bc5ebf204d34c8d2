using F5Tts.Engines.Onnx;
using F5Tts.Engines.Options;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Health;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace F5Tts.Engines.F5;

/// <summary>
/// Loads a model directory (three graphs + vocab.txt; f5ops exports add F5_TimeModulation.onnx), detects its contract from <c>metadata_props</c> or the graph
/// signatures, creates the sessions with the configured provider chains and returns the matching engine.
/// </summary>
public static class OnnxTtsEngineFactory
{
    /// <summary>
    /// Creates the engine for <paramref name="modelDirectory"/>. Relative TensorRT cache directories resolve against
    /// <paramref name="contentRoot"/> (defaults to the current directory).
    /// </summary>
    /// <exception cref="ModelLoadException">The directory, a graph or the vocabulary is missing or unusable; the
    /// message names the file.</exception>
    public static ITtsEngine Create(string modelDirectory, EngineOptions options, ILoggerFactory loggerFactory, string? contentRoot = null) =>
        Create(modelDirectory, options, loggerFactory, contentRoot, gate: null);

    /// <summary>As above, with the process's CUDA graph capture gate, shared by every engine of the process (several workers).</summary>
    internal static ITtsEngine Create(string modelDirectory, EngineOptions options, ILoggerFactory loggerFactory, string? contentRoot, CaptureGate? gate)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("F5Tts.Engines");
        var root = contentRoot ?? Directory.GetCurrentDirectory();
        var directory = CheckDirectory(modelDirectory, root);
        var factory = new OnnxSessionFactory(options, logger, root);

        var disposables = new List<IDisposable>();
        try
        {
            var preprocessPath = Path.Combine(directory, ModelContracts.PreprocessFile);
            var pre = factory.Create(ModelContracts.PreprocessStage, preprocessPath, ProviderChain.Parse(options.PreprocessProviders));
            disposables.Add(pre);
            var contract = DetectContract(pre);
            logger.LogInformation("Model {Directory}: contract {Contract}.", directory, contract);
            if (options.Cuda.PreprocessCudaGraphs && pre.Providers[0] == ExecutionProvider.CUDA && contract == ModelContracts.Batched && BatchedContract.PaddedPreprocess(pre))
            {
                // Only a padded Preprocess can replay at bucketed shapes; the metadata telling so is read from the
                // session, so the graph-enabled one is a second, small load (its engine tags every run with a graph id).
                var graphed = factory.Create(ModelContracts.PreprocessStage, preprocessPath, ProviderChain.Parse(options.PreprocessProviders), cudaGraph: true);
                if (graphed.CudaGraph)
                {
                    disposables.Remove(pre);
                    pre.Dispose();
                    pre = graphed;
                    disposables.Add(pre);
                }
                else
                {
                    graphed.Dispose();
                }
            }

            var transformerPath = Path.Combine(directory, ModelContracts.TransformerFile);
            var profile = contract == ModelContracts.Batched ? BatchedContract.TrtProfileFor(options.TensorRt, BatchedContract.CondDimOf(pre)) : DakeqqF5Engine.TrtProfileFor(options.TensorRt, pre);
            // CUDA graphs only for the batched contract: its engine tags every Transformer run with a graph id.
            var transformerChain = TransformerChain(options, pre, logger);
            WarnIfCustomOpsLackCuda(pre, transformerChain, factory, logger);
            var transformer = factory.Create(ModelContracts.TransformerStage, transformerPath, transformerChain, profile, cudaGraph: options.Cuda.CudaGraphs && contract == ModelContracts.Batched);
            disposables.Add(transformer);

            // Decode graphs only for the batched contract too: its engine tags every Decode run with a graph id.
            var decode = factory.Create(ModelContracts.DecodeStage, Path.Combine(directory, ModelContracts.DecodeFile), ProviderChain.Parse(options.DecodeProviders), cudaGraph: options.Cuda.DecodeCudaGraphs && contract == ModelContracts.Batched);
            disposables.Add(decode);

            var vocabSize = File.ReadLines(Path.Combine(directory, ModelContracts.VocabFile)).Count();
            if (pre.Metadata.TryGetValue("f5tts.vocab_size", out var declaredVocab) && declaredVocab != vocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new ModelLoadException($"{ModelContracts.VocabFile} in '{directory}' has {vocabSize} lines but the graphs were exported for f5tts.vocab_size={declaredVocab}.");
            }

            var memory = DeviceMemory.Create(transformer, options.DeviceId, logger);
            disposables.Add(memory);
            logger.LogInformation("Latent residency: {Mode}.", memory.Mode);

            // The Decode's own memory (its session's allocator) for the bucketed Decode: with static shapes, or graphs.
            DeviceMemory? decodeMemory = null;
            if (contract == ModelContracts.Batched && (options.StaticShapes || decode.CudaGraph))
            {
                decodeMemory = DeviceMemory.Create(decode, options.DeviceId, logger, "Decode runs at exact shapes");
                disposables.Add(decodeMemory);
            }

            TimeModulationTable? table = null;
            if (contract == ModelContracts.Batched)
            {
                // Same providers as the Transformer, whose memory the table lives in.
                var tablePath = Path.Combine(directory, ModelContracts.TimeModulationFile);
                table = TimeModulationTable.Create(transformer, () => File.Exists(tablePath) ? factory.Create(ModelContracts.TimeModulationStage, tablePath, transformer.Providers) : null, memory, options.TimeTableRows, logger);
                if (table is not null)
                {
                    disposables.Add(table);
                }
            }

            ITtsEngine engine = contract == ModelContracts.Batched
                ? new BatchedF5Engine(pre, transformer, decode, memory, options, vocabSize, logger, table, gate, decodeMemory)
                : new DakeqqF5Engine(pre, transformer, decode, memory, options, vocabSize, logger);
            return engine;
        }
        catch
        {
            for (var i = disposables.Count - 1; i >= 0; i--)
            {
                disposables[i].Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// The Transformer's provider chain. An export made with <c>--attention fused</c> or <c>f5ops</c> (metadata
    /// <c>f5tts.attention</c> present and not <c>plain</c>) uses ONNX Runtime's <c>com.microsoft</c> attention ops, which TensorRT does not
    /// parse: TensorRT would take the graph apart into dozens of partitions around them, so CUDA takes its place for
    /// that stage (docs/export.md "Attention"). Plain exports keep the configured chain.
    /// </summary>
    internal static IReadOnlyList<ExecutionProvider> TransformerChain(EngineOptions options, StageSession preprocess, ILogger logger)
    {
        var chain = ProviderChain.Parse(options.TransformerProviders);
        var attention = preprocess.Metadata.GetValueOrDefault(ModelContracts.AttentionKey);
        if (attention is null or "plain" || !chain.Contains(ExecutionProvider.TensorRT))
        {
            return chain;
        }

        logger.LogInformation("The Transformer of this export uses ONNX Runtime's fused attention ops (f5tts.attention={Attention}), which TensorRT does not parse: TensorRT is skipped for this stage (CUDA takes its place). Export with --attention plain to run it on TensorRT.", attention);
        // CUDA takes TensorRT's place (once), so that a TensorRT-only chain still runs the stage on the GPU.
        return chain.Select(p => p == ExecutionProvider.TensorRT ? ExecutionProvider.CUDA : p).Distinct().ToList();
    }

    /// <summary>
    /// An f5ops export on a CUDA chain with a custom-op library built without nvcc: the ops exist for the CPU provider
    /// only, so ONNX Runtime would run them on the CPU between CUDA kernels (copies at every op, and no CUDA graphs,
    /// which makes the session fall back further). Said once, loudly, with the fix, before the session is built.
    /// </summary>
    internal static bool WarnIfCustomOpsLackCuda(StageSession preprocess, IReadOnlyList<ExecutionProvider> chain, OnnxSessionFactory factory, ILogger logger)
    {
        if (preprocess.Metadata.GetValueOrDefault(ModelContracts.CustomOpsKey) is null || !chain.Contains(ExecutionProvider.CUDA)
            || factory.CustomOpsHaveCuda is not false)
        {
            return false;
        }

        logger.LogWarning(
            "This export's Transformer uses the f5tts.ops custom ops, but {Library} was built without CUDA kernels (no nvcc when it was built): on the GPU those ops would run on the CPU. Rebuild it with CUDA (src/Native/F5Tts.Ops/build.sh with nvcc, or the GPU container image; docs/custom-ops.md) or export with --attention fused.",
            factory.CustomOpsLibrary);
        return true;
    }

    private static string CheckDirectory(string modelDirectory, string root)
    {
        var directory = string.IsNullOrWhiteSpace(modelDirectory) || Path.IsPathRooted(modelDirectory)
            ? modelDirectory
            : Path.GetFullPath(Path.Combine(root, modelDirectory));
        try
        {
            ModelDirectoryCheck.Check(directory);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new ModelLoadException(e.Message, e);
        }

        return directory;
    }

    /// <summary>Reads the contract from metadata, else recognises the dakeqq signature (docs/model.md "The dakeqq graphs").</summary>
    internal static string DetectContract(StageSession pre)
    {
        if (pre.Metadata.TryGetValue(ModelContracts.ContractKey, out var declared))
        {
            if (declared == ModelContracts.Batched)
            {
                return declared;
            }

            throw new ModelLoadException($"{pre.FileName}: unknown model contract '{declared}' in metadata {ModelContracts.ContractKey} (this server supports {ModelContracts.Batched} and {ModelContracts.Dakeqq}).");
        }

        var inputs = pre.Session.InputMetadata;
        var outputs = pre.Session.OutputMetadata;
        var first = pre.Session.InputNames.Count > 0 ? inputs[pre.Session.InputNames[0]] : null;
        if (pre.Session.InputNames.Count == 3 && first is { IsTensor: true, ElementDataType: TensorElementType.Int16 } && outputs.Count == 8)
        {
            return ModelContracts.Dakeqq;
        }

        throw new ModelLoadException(
            $"{pre.FileName}: unknown model contract: no '{ModelContracts.ContractKey}' metadata and the signature " +
            $"(inputs {Describe(pre.Session.InputNames, inputs)}; {outputs.Count} outputs) is not the dakeqq one " +
            "(int16 audio, int32 text_ids, int64 max_duration → 8 outputs).");
    }

    internal static string Describe(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        string.Join(", ", names.Select(n => $"{n}:{(metadata[n].IsTensor ? metadata[n].ElementDataType.ToString() : metadata[n].OnnxValueType.ToString())}[{string.Join(',', metadata[n].Dimensions)}]"));

    /// <summary>Throws a <see cref="ModelLoadException"/> naming the graph's file unless <paramref name="condition"/>.</summary>
    internal static void Require(StageSession stage, bool condition, string what)
    {
        if (!condition)
        {
            throw new ModelLoadException(
                $"{stage.FileName}: {what}. Inputs: {Describe(stage.Session.InputNames, stage.Session.InputMetadata)}; " +
                $"outputs: {Describe(stage.Session.OutputNames, stage.Session.OutputMetadata)}.");
        }
    }
}
