using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace F5Tts.Inference.Health;

/// <summary>
/// Runs the DI-registered <see cref="IStartupTask"/>s one after another once the host has started, recording each
/// outcome in the <see cref="StartupTaskTracker"/>. Sequential on purpose: later tasks (engine load) may rely on
/// earlier checks (model directory), and a failed task stops the ones after it, which stay pending.
/// </summary>
internal sealed partial class StartupTaskRunner(
    IEnumerable<IStartupTask> tasks,
    StartupTaskTracker tracker,
    ILogger<StartupTaskRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting (Kestrel listening, liveness answering) before heavy work begins.
        await Task.Yield();
        foreach (var task in tasks)
        {
            var handle = tracker.Get(task.Name);
            handle.Start();
            try
            {
                await task.RunAsync(stoppingToken);
                handle.Complete();
                LogCompleted(task.Name, handle.ToStatus().Duration?.TotalMilliseconds ?? 0);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                handle.Fail("Shutdown requested before the task completed.");
                return;
            }
#pragma warning disable CA1031 // A failed startup task must be reported through readiness, not crash the host.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                handle.Fail(ex.Message);
                LogFailed(ex, task.Name);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Startup task {Task} completed in {ElapsedMs:0} ms")]
    private partial void LogCompleted(string task, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Startup task {Task} failed; the service stays not ready")]
    private partial void LogFailed(Exception exception, string task);
}
