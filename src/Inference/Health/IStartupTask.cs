namespace F5Tts.Inference.Health;

/// <summary>
/// One piece of work that must finish before the service reports ready (e.g. checking the model directory,
/// loading and warming up the engine). Register with
/// <see cref="StartupTaskServiceCollectionExtensions.AddStartupTask{TTask}"/>; the tasks run in registration order
/// on a background service after the host started, so <c>/health/live</c> answers while they run.
/// </summary>
public interface IStartupTask
{
    /// <summary>Stable name shown in <c>/health/ready</c> (e.g. <c>model-directory</c>, <c>engine</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Does the work. Throw to report failure: the message is shown in the readiness response, so keep it free of
    /// secrets. A failed task keeps the service not-ready; it is not retried.
    /// </summary>
    Task RunAsync(CancellationToken cancellationToken);
}
