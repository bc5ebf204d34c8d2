using Microsoft.Extensions.Logging;

namespace F5Tts.GpuBench;

/// <summary>
/// Minimal logger: the engine's start-up lines (providers per stage, residency, fallbacks) go to stderr so that the
/// tables on stdout stay clean. Kept here instead of Microsoft.Extensions.Logging.Console to keep the publish small.
/// </summary>
internal sealed class StderrLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            Console.Error.WriteLine($"[{logLevel}] {category}: {formatter(state, exception)}");
            if (exception is not null)
            {
                Console.Error.WriteLine(exception);
            }
        }
    }
}
