using System.Net;
using F5Tts.Api.Tests.Infrastructure;
using F5Tts.Inference.Engine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace F5Tts.Api.Tests;

/// <summary>
/// <c>F5Tts:Engine:DeviceIds</c> on the real host: one real ONNX Runtime engine (tiny model, CPU) and batch worker per
/// entry behind one admission point, workers named and labelled in /metrics, and a device fault injected through the
/// engine-factory seam (the real engine of device 0 starts failing every step, as a lost GPU does).
/// </summary>
public sealed class MultiDeviceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings(params int[] devices)
    {
        var settings = new Dictionary<string, string?>
        {
            ["F5Tts:Engine:TransformerProviders"] = "CPU",
            ["F5Tts:Engine:PreprocessProviders"] = "CPU",
            ["F5Tts:Engine:DecodeProviders"] = "CPU",
            ["F5Tts:Workers:FaultLimit"] = "1",
        };
        for (int i = 0; i < devices.Length; i++)
        {
            settings[$"F5Tts:Engine:DeviceIds:{i}"] = devices[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    private static Task<HttpResponseMessage> SpeakAsync(HttpClient client, string text = "Hello there.") =>
        Speech.PostJsonAsync(client, "v1/audio/speech", new { input = text, response_format = "wav" }, Ct);

    private static async Task<string> MetricsAsync(HttpClient client) =>
        await client.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);

    [Fact]
    public async Task Three_devices_run_three_named_workers_that_all_serve()
    {
        await using var host = new F5TtsApiFactory(Settings(0, 1, 2));
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        string metrics = await MetricsAsync(client);
        foreach (var worker in new[] { "cpu0", "cpu1", "cpu2" })
        {
            Assert.Equal(1, WorkerMetrics.Sample(metrics, "f5tts_worker_up", worker));
            Assert.Equal(0, WorkerMetrics.Sample(metrics, "f5tts_worker_queued_audio_seconds", worker));
        }

        // Requests in flight together spread over the workers; sequential ones at least all succeed.
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => SpeakAsync(client, $"Sentence number {i}.")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        responses.ToList().ForEach(r => r.Dispose());

        metrics = await MetricsAsync(client);
        Assert.True(WorkerMetrics.Sample(metrics, "f5tts_worker_busy_seconds_total", "cpu0") > 0, "the first worker never ran");
        foreach (var worker in new[] { "cpu0", "cpu1", "cpu2" })
        {
            Assert.Equal(0, WorkerMetrics.Sample(metrics, "f5tts_worker_queued_audio_seconds", worker), 6); // every request finished
        }
    }

    [Fact]
    public async Task Two_workers_per_device_are_two_named_workers_in_service()
    {
        var settings = Settings();
        settings["F5Tts:Workers:PerDevice"] = "2";
        await using var host = new F5TtsApiFactory(settings);
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        Assert.Equal(["cpu0.0", "cpu0.1"], host.Services.GetRequiredService<F5Tts.Inference.Synthesis.EngineHost>().Workers.Workers.Select(w => w.Name));
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => SpeakAsync(client, $"Sentence number {i}.")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        responses.ToList().ForEach(r => r.Dispose());

        string metrics = await MetricsAsync(client);
        // Which worker served which request depends on arrival order (routing has its own tests): both are up.
        Assert.All(new[] { "cpu0.0", "cpu0.1" }, worker => Assert.Equal(1, WorkerMetrics.Sample(metrics, "f5tts_worker_up", worker)));
        Assert.True(WorkerMetrics.Sample(metrics, "f5tts_worker_busy_seconds_total", "cpu0.0") > 0, "the first worker never ran");
    }

    [Fact]
    public async Task A_failing_device_is_taken_out_and_fails_only_its_own_requests()
    {
        var lost = new DeviceLoss(0);
        await using var host = new FaultyDeviceFactory(lost, Settings(0, 1));
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        lost.Lose();
        // Both workers idle: the request goes to the lower device, whose step fails (FaultLimit 1 takes it out).
        using (var failed = await SpeakAsync(client))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        // Every later request goes to the healthy worker and succeeds; the service stays ready.
        for (int i = 0; i < 3; i++)
        {
            using var ok = await SpeakAsync(client, $"Still speaking, take {i}.");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        string metrics = await MetricsAsync(client);
        Assert.Equal(0, WorkerMetrics.Sample(metrics, "f5tts_worker_up", "cpu0"));
        Assert.Equal(1, WorkerMetrics.Sample(metrics, "f5tts_worker_up", "cpu1"));
        Assert.Equal(1, WorkerMetrics.Sample(metrics, "f5tts_worker_faults_total", "cpu0"));
        Assert.Equal(0, WorkerMetrics.Sample(metrics, "f5tts_worker_faults_total", "cpu1"));
        Assert.Equal(1, lost.FailedSteps); // the only step that reached the lost device's engine
    }

    [Fact]
    public async Task When_every_device_fails_requests_get_503_and_the_pod_is_no_longer_ready()
    {
        var lost = new DeviceLoss(0, 1);
        await using var host = new FaultyDeviceFactory(lost, Settings(0, 1));
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        lost.Lose();
        for (int i = 0; i < 2; i++)
        {
            using var failed = await SpeakAsync(client); // the first takes cpu0 out, the second cpu1
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        using (var refused = await SpeakAsync(client))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains("No device worker is in service", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(2, lost.FailedSteps);
    }

    [Fact]
    public async Task A_device_call_that_never_returns_takes_the_worker_out_and_fails_liveness()
    {
        var hung = new DeviceLoss(0);
        var settings = Settings(0, 1);
        settings["F5Tts:Workers:StallSeconds"] = "2";
        await using var host = new FaultyDeviceFactory(hung, settings);
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);

        hung.Hang();
        var stuck = SpeakAsync(client); // both workers idle: cpu0, whose step never returns
        string live = await Speech.PollAsync(client, "health/live",
            (status, body) => status == HttpStatusCode.ServiceUnavailable && body.Contains("cpu0", StringComparison.Ordinal), Ct);

        Assert.Contains("stuck in an engine call that never returned", live, StringComparison.Ordinal);
        using (var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // cpu1 still serves
        }

        string metrics = await MetricsAsync(client);
        Assert.Equal(0, WorkerMetrics.Sample(metrics, "f5tts_worker_up", "cpu0"));
        Assert.Equal(1, WorkerMetrics.Sample(metrics, "f5tts_worker_up", "cpu1"));

        // The stuck call returns at last; the worker, out of service, refuses the next one. (On a machine so busy that
        // the request's Preprocess alone outlasted the 2 s, the worker was taken out before its step: 503 all the same.)
        hung.Release();
        using var answer = await stuck.WaitAsync(TimeSpan.FromMinutes(2), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
    }

    /// <summary>
    /// Makes every step of the chosen devices' real engines fail from <see cref="Lose"/> on, or never return from
    /// <see cref="Hang"/> until <see cref="Release"/> (as a hung GPU leaves the thread waiting in the driver).
    /// </summary>
    private sealed class DeviceLoss(params int[] failingDevices)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _hanging;
        private int _lost;
        private int _failed;

        public int FailedSteps => Volatile.Read(ref _failed);

        public void Lose() => Volatile.Write(ref _lost, 1);

        public void Hang() => _hanging = true;

        public void Release() => _released.TrySetResult();

        public ITtsEngine Wrap(int device, ITtsEngine engine) => failingDevices.Contains(device) ? new Engine(engine, this) : engine;

        private sealed class Engine(ITtsEngine inner, DeviceLoss loss) : ITtsEngine
        {
            public EngineDescription Description => inner.Description;

            public bool ConcurrentPrepare => inner.ConcurrentPrepare;

            public void WarmUp(CancellationToken cancellationToken) => inner.WarmUp(cancellationToken);

            public IEngineItem Prepare(EngineInput input, CancellationToken cancellationToken) => inner.Prepare(input, cancellationToken);

            public void RunStep(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken)
            {
                if (loss._hanging)
                {
                    loss._released.Task.Wait(CancellationToken.None); // a hung driver call ignores cancellation too
                }

                if (Volatile.Read(ref loss._lost) == 1)
                {
                    Interlocked.Increment(ref loss._failed);
                    throw new InvalidOperationException("CUDA failure 999: unknown error (simulated device loss)");
                }

                inner.RunStep(items, cancellationToken);
            }

            public IReadOnlyList<float[]> Decode(IReadOnlyList<IEngineItem> items, CancellationToken cancellationToken) => inner.Decode(items, cancellationToken);

            public void Dispose() => inner.Dispose();
        }
    }

    /// <summary>The real host whose engine factory hands device 0's real engine through <see cref="DeviceLoss"/>.</summary>
    private sealed class FaultyDeviceFactory(DeviceLoss loss, Dictionary<string, string?> settings) : F5TtsApiFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                var real = services.Last(d => d.ServiceType == typeof(ITtsEngineFactory));
                services.Remove(real);
                services.AddSingleton<ITtsEngineFactory>(sp => new Factory((ITtsEngineFactory)real.ImplementationFactory!(sp), loss));
            });
        }

        private sealed class Factory(ITtsEngineFactory inner, DeviceLoss loss) : ITtsEngineFactory
        {
            public IReadOnlyList<int> DeviceIds => inner.DeviceIds;

            public ITtsEngine Create(int deviceId) => loss.Wrap(deviceId, inner.Create(deviceId));
        }
    }
}
