using F5Tts.Inference.Health;

namespace F5Tts.Inference.Tests.Health;

public sealed class StartupTaskTrackerTests
{
    private sealed class NamedTask(string name) : IStartupTask
    {
        public string Name => name;

        public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public void Not_ready_without_any_task()
    {
        // "All of nothing completed" must not read as ready: something always has to prove startup happened.
        Assert.False(new StartupTaskTracker([]).IsReady);
    }

    [Fact]
    public void Ready_only_when_every_task_completed()
    {
        var tracker = new StartupTaskTracker([new NamedTask("model-directory")]);
        var engine = tracker.Register("engine");
        var model = tracker.Get("model-directory");

        Assert.False(tracker.IsReady);
        model.Start();
        model.Complete();
        Assert.False(tracker.IsReady);
        engine.Start();
        Assert.Equal(StartupTaskState.Running, tracker.Snapshot()[1].State);
        engine.Complete();
        Assert.True(tracker.IsReady);
        Assert.Equal(["model-directory", "engine"], tracker.Snapshot().Select(s => s.Name));
    }

    [Fact]
    public void Failed_task_keeps_the_service_not_ready_and_stays_failed()
    {
        var tracker = new StartupTaskTracker([]);
        var task = tracker.Register("engine");
        task.Start();
        task.Fail("no CUDA device");
        task.Complete();

        Assert.False(tracker.IsReady);
        var status = Assert.Single(tracker.Snapshot());
        Assert.Equal(StartupTaskState.Failed, status.State);
        Assert.Equal("no CUDA device", status.Error);
        Assert.NotNull(status.Duration);
    }

    [Fact]
    public void Duplicate_names_are_rejected()
    {
        var tracker = new StartupTaskTracker([new NamedTask("engine")]);
        Assert.Throws<InvalidOperationException>(() => tracker.Register("engine"));
    }
}
