using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>
/// Holds the application's host start until <see cref="F5TtsApiFactory"/> is ready to observe it.
/// </summary>
/// <remarks>
/// Why it exists (the start-failure race). WebApplicationFactory runs Program's top-level code on a thread of its
/// own: Program builds the host and calls <c>app.RunAsync()</c>, which starts it and, when the start fails (an
/// invalid option rejected by start-up validation), disposes the host in its <c>finally</c> before the exception
/// leaves Program. Meanwhile the factory's thread wraps the same host and, in its <c>StartAsync</c>, resolves
/// <c>IHostApplicationLifetime</c> from the host's services to wait for <c>ApplicationStarted</c>. When the machine is
/// idle the factory thread gets there first and later receives the real validation error from Program. When the
/// machine is busy the Program thread can fail and dispose the host first; the factory's resolve then throws
/// <see cref="ObjectDisposedException"/> ("Cannot access a disposed object") and the validation error is lost.
/// The gate removes the interleaving: the host's <see cref="IHostLifetime.WaitForStartAsync"/>, the first step of
/// <c>Host.StartAsync</c> (before validation and hosted services), waits until the factory has subscribed.
/// </remarks>
internal sealed class StartGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the host start (idempotent).</summary>
    public void Open() => _open.TrySetResult();

    /// <summary>Replaces the registered <see cref="IHostLifetime"/> with one that waits for this gate first.</summary>
    public void Install(IServiceCollection services)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IHostLifetime))
            ?? throw new InvalidOperationException("The host registered no IHostLifetime.");
        services.Remove(original);
        services.AddSingleton<IHostLifetime>(provider => new GatedLifetime(Create(provider, original), this));
    }

    private static IHostLifetime Create(IServiceProvider provider, ServiceDescriptor descriptor) =>
        (IHostLifetime)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!));

    private sealed class GatedLifetime(IHostLifetime inner, StartGate gate) : IHostLifetime, IDisposable
    {
        public async Task WaitForStartAsync(CancellationToken cancellationToken)
        {
            await gate._open.Task.WaitAsync(cancellationToken);
            await inner.WaitForStartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }
}
