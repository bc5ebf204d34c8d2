namespace F5Tts.Engines.Options;

/// <summary>Parses the comma-separated provider chains of <see cref="EngineOptions"/>.</summary>
public static class ProviderChain
{
    internal const string Pattern = @"^\s*(?i:TensorRT|CUDA|CPU)\s*(,\s*(?i:TensorRT|CUDA|CPU)\s*)*$";
    internal const string ErrorMessage = "A provider chain is a comma-separated list of TensorRT, CUDA and CPU, e.g. \"TensorRT,CUDA,CPU\".";

    /// <summary>The validation message of a chain option: {0} is the configuration key.</summary>
    internal const string OptionErrorMessage = "{0}: " + ErrorMessage;

    /// <summary>Parses <paramref name="chain"/>; duplicates are dropped and CPU is appended when missing.</summary>
    public static IReadOnlyList<ExecutionProvider> Parse(string chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var result = new List<ExecutionProvider>();
        foreach (var part in chain.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<ExecutionProvider>(part, ignoreCase: true, out var provider) || !Enum.IsDefined(provider))
            {
                throw new FormatException($"Unknown execution provider '{part}'. {ErrorMessage}");
            }

            if (!result.Contains(provider))
            {
                result.Add(provider);
            }
        }

        // CPU can always run every node, so it ends every chain: a chain never leaves a stage without a provider.
        if (!result.Contains(ExecutionProvider.CPU))
        {
            result.Add(ExecutionProvider.CPU);
        }

        return result;
    }
}
