namespace F5Tts.Inference.Health;

/// <summary>State of one startup task.</summary>
public enum StartupTaskState
{
    /// <summary>Registered, not started.</summary>
    Pending,

    /// <summary>Started, not finished.</summary>
    Running,

    /// <summary>Finished successfully.</summary>
    Completed,

    /// <summary>Finished with an error; the service stays not-ready.</summary>
    Failed,
}

/// <summary>Snapshot of one startup task for the readiness report.</summary>
/// <param name="Name">Task name.</param>
/// <param name="State">Current state.</param>
/// <param name="Error">Failure message, if it failed.</param>
/// <param name="Duration">Run time once finished.</param>
public sealed record StartupTaskStatus(string Name, StartupTaskState State, string? Error, TimeSpan? Duration);

/// <summary>
/// Tracks the named startup tasks. The service is ready only when at least one task is registered and every
/// registered task has completed. Tasks added through DI (<see cref="IStartupTask"/>) are registered when the tracker
/// is created, i.e. before the first readiness probe can run; code that does its startup work elsewhere (e.g. a GPU
/// worker thread that loads the engine itself) calls <see cref="Register"/> while the host is being built and
/// reports through the returned handle.
/// </summary>
public sealed class StartupTaskTracker
{
    private readonly Lock _lock = new();
    private readonly List<StartupTaskHandle> _tasks = [];

    /// <summary>Creates the tracker and registers every DI-registered <see cref="IStartupTask"/> as pending.</summary>
    public StartupTaskTracker(IEnumerable<IStartupTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        foreach (var task in tasks)
        {
            Register(task.Name);
        }
    }

    /// <summary>True when at least one task exists and all have completed.</summary>
    public bool IsReady
    {
        get
        {
            lock (_lock)
            {
                return _tasks.Count > 0 && _tasks.TrueForAll(t => t.State == StartupTaskState.Completed);
            }
        }
    }

    /// <summary>Registers a task by name (pending) and returns the handle to report its progress.</summary>
    /// <exception cref="InvalidOperationException">A task with this name is already registered.</exception>
    public StartupTaskHandle Register(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_lock)
        {
            if (_tasks.Exists(t => string.Equals(t.Name, name, StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"Startup task '{name}' is already registered.");
            }

            var handle = new StartupTaskHandle(name, _lock);
            _tasks.Add(handle);
            return handle;
        }
    }

    /// <summary>Returns the handle of a registered task.</summary>
    /// <exception cref="KeyNotFoundException">No task has this name.</exception>
    public StartupTaskHandle Get(string name)
    {
        lock (_lock)
        {
            return _tasks.Find(t => string.Equals(t.Name, name, StringComparison.Ordinal))
                ?? throw new KeyNotFoundException($"Startup task '{name}' is not registered.");
        }
    }

    /// <summary>A consistent snapshot of all tasks, in registration order.</summary>
    public IReadOnlyList<StartupTaskStatus> Snapshot()
    {
        lock (_lock)
        {
            return _tasks.ConvertAll(t => t.ToStatus());
        }
    }
}

/// <summary>Reports the progress of one startup task. Thread-safe; the last transition wins except that a finished task stays finished.</summary>
public sealed class StartupTaskHandle
{
    private readonly Lock _lock;
    private long _startedTimestamp;
    private TimeSpan? _duration;
    private string? _error;

    internal StartupTaskHandle(string name, Lock sharedLock)
    {
        Name = name;
        _lock = sharedLock;
    }

    /// <summary>Task name.</summary>
    public string Name { get; }

    /// <summary>Current state.</summary>
    public StartupTaskState State { get; private set; }

    /// <summary>Marks the task as running.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (State == StartupTaskState.Pending)
            {
                State = StartupTaskState.Running;
                _startedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Marks the task as completed.</summary>
    public void Complete() => Finish(StartupTaskState.Completed, null);

    /// <summary>Marks the task as failed with a client-visible message.</summary>
    public void Fail(string error) => Finish(StartupTaskState.Failed, error);

    internal StartupTaskStatus ToStatus() => new(Name, State, _error, _duration);

    private void Finish(StartupTaskState state, string? error)
    {
        lock (_lock)
        {
            if (State is StartupTaskState.Completed or StartupTaskState.Failed)
            {
                return;
            }

            _duration = _startedTimestamp == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(_startedTimestamp);
            _error = error;
            State = state;
        }
    }
}
