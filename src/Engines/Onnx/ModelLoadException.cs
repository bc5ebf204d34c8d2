namespace F5Tts.Engines.Onnx;

/// <summary>
/// The model directory cannot be served: a file is missing, unreadable or of an unknown contract. Thrown at start-up;
/// the message names the file and what is wrong.
/// </summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
