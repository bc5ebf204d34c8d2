using System.Collections.ObjectModel;
using System.Diagnostics.Metrics;
using F5Tts.Inference.Errors;

namespace F5Tts.Inference.Metrics;

/// <summary>
/// Owns every metric of the service (docs/metrics.md) on the <see cref="MeterName"/> meter. Nobody else creates
/// instruments: call the Record*/On* methods. Labels are closed sets (enums, known formats) so cardinality stays
/// bounded whatever clients send. The Prometheus exporter turns instrument names and units into exposition names;
/// docs/metrics.md lists the exact exposed names, and a test checks them with promtool.
/// </summary>
/// <remarks>
/// Created through <see cref="IMeterFactory"/> so that each DI container (several test hosts in one process) has its
/// own meter and nothing is static. Register with <c>services.AddSingleton&lt;F5TtsMetrics&gt;()</c> (the Api does).
/// </remarks>
public sealed class F5TtsMetrics : IDisposable
{
    /// <summary>Name of the meter; the Api subscribes the OpenTelemetry exporter to it.</summary>
    public const string MeterName = "F5Tts";

    /// <summary>
    /// Latency buckets in seconds, 5 ms … 120 s: a stage on a warm GPU takes milliseconds, a long CPU request or one
    /// that waited in a full queue takes tens of seconds, and the default request deadline is of that order.
    /// </summary>
    public static readonly ReadOnlyCollection<double> LatencyBuckets = Array.AsReadOnly(
    [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120,
    ]);

    /// <summary>Batch size buckets (items per Transformer call).</summary>
    public static readonly ReadOnlyCollection<double> BatchSizeBuckets = Array.AsReadOnly(
    [
        1d, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64,
    ]);

    /// <summary>Batch frame buckets (sum of mel frames per Transformer call; 1 s of audio ≈ 94 frames).</summary>
    public static readonly ReadOnlyCollection<double> BatchFramesBuckets = Array.AsReadOnly(
    [
        256d, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072,
    ]);

    /// <summary>Real-time-factor buckets (processing seconds per audio second; below 1 is faster than real time).</summary>
    public static readonly ReadOnlyCollection<double> RealTimeFactorBuckets = Array.AsReadOnly(
    [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10, 20,
    ]);

    private static readonly string[] KnownFormats = ["wav", "opus", "pcm", "mp3", "flac", "aac"];

    /// <summary>The routes that send audio: the <c>route</c> label of <c>f5tts_time_to_first_audio</c> (others are <c>other</c>).</summary>
    private static readonly string[] AudioRoutes = ["/v1/tts", "/v1/audio/speech", "/v1/tts/ws"];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<double> _timeToFirstAudio;
    private readonly Histogram<double> _batchSize;
    private readonly Histogram<double> _batchFrames;
    private readonly Counter<double> _audioSeconds;
    private readonly Histogram<double> _realTimeFactor;
    private readonly AsyncLocal<RequestScope?> _request = new();
    private readonly Counter<long> _realtimeSegments;
    private readonly Counter<long> _firstChunkLaneSteps;
    private long _queueDepth;
    private long _inflight;
    private long _realtimeSessions;
    private volatile Func<IReadOnlyList<WorkerSnapshot>>? _workers;

    /// <summary>Creates the meter and all instruments.</summary>
    public F5TtsMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);

        _requests = _meter.CreateCounter<long>(
            "f5tts_requests",
            description: "Synthesis requests by outcome (success, client_error, rejected, timeout, cancelled, error) and reason.");
        _requestDuration = Seconds("f5tts_request_duration", "End-to-end synthesis request duration by output format.");
        _queueWait = Seconds("f5tts_queue_wait", "Time from admission to the first engine call.");
        _stageDuration = Seconds("f5tts_stage_duration", "Time spent per pipeline stage (frontend, preprocess, transformer, decode, encode).");
        _timeToFirstAudio = Seconds(
            "f5tts_time_to_first_audio",
            "Time from request start (real-time route: from the first segment's submission) to the first audio byte sent, by route.");
        _batchSize = _meter.CreateHistogram<double>(
            "f5tts_batch_size", unit: null, description: "Items per Transformer call.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BatchSizeBuckets });
        _batchFrames = _meter.CreateHistogram<double>(
            "f5tts_batch_frames", unit: null, description: "Sum of mel frames per Transformer call.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BatchFramesBuckets });
        _meter.CreateObservableGauge(
            "f5tts_queue_depth", () => Interlocked.Read(ref _queueDepth), unit: null,
            description: "Requests admitted and waiting for the engine.");
        _meter.CreateObservableGauge(
            "f5tts_inflight_requests", () => Interlocked.Read(ref _inflight), unit: null,
            description: "Synthesis requests currently being served (queued or running).");
        _meter.CreateObservableGauge(
            "f5tts_realtime_sessions", () => Interlocked.Read(ref _realtimeSessions), unit: null,
            description: "Open real-time WebSocket sessions (/v1/tts/ws).");
        _realtimeSegments = _meter.CreateCounter<long>(
            "f5tts_realtime_segments", unit: null, description: "Text segments the real-time sessions submitted for synthesis.");
        _firstChunkLaneSteps = _meter.CreateCounter<long>(
            "f5tts_first_chunk_lane_steps", unit: null,
            description: "Transformer calls of the first-chunk lane: streams' first chunks run between two steps of the running batch.");
        _audioSeconds = _meter.CreateCounter<double>(
            "f5tts_audio", unit: "s", description: "Seconds of audio produced.");
        _realTimeFactor = _meter.CreateHistogram<double>(
            "f5tts_real_time_factor", unit: null,
            description: "Processing time divided by produced audio duration, per request.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RealTimeFactorBuckets });

        CreateWorkerInstruments();

        Histogram<double> Seconds(string name, string description) => _meter.CreateHistogram<double>(
            name, unit: "s", description: description,
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
    }

    /// <summary>
    /// Feeds the per-worker instruments (<c>f5tts_worker_*</c>, <c>f5tts_predicted_wait</c>) from the device workers;
    /// until it is called they report nothing.
    /// </summary>
    public void ObserveWorkers(Func<IReadOnlyList<WorkerSnapshot>> source) => _workers = source;

    private void CreateWorkerInstruments()
    {
        IEnumerable<Measurement<T>> PerWorker<T>(Func<WorkerSnapshot, T> value)
            where T : struct =>
            (_workers?.Invoke() ?? []).Select(w => new Measurement<T>(value(w), new KeyValuePair<string, object?>("worker", w.Worker)));

        _meter.CreateObservableGauge(
            "f5tts_worker_up", () => PerWorker(w => w.Up ? 1 : 0), unit: null,
            description: "1 while the device worker takes requests (warm, not taken out after faults, not draining), else 0.");
        _meter.CreateObservableGauge(
            "f5tts_worker_queued_audio", () => PerWorker(w => w.QueuedAudioSeconds), unit: "s",
            description: "Audio-seconds of work (reference included) admitted to the worker and not finished: queued plus running.");
        _meter.CreateObservableGauge(
            "f5tts_worker_predicted_wait", () => PerWorker(w => w.PredictedWaitSeconds), unit: "s",
            description: "The worker's queued audio-seconds divided by its measured throughput: seconds until its current work is done.");
        _meter.CreateObservableGauge(
            "f5tts_predicted_wait", () => PredictedWait(_workers?.Invoke() ?? []), unit: "s",
            description: "Predicted wait of a request admitted now: the least predicted wait of the serving workers, where the router would put it.");
        _meter.CreateObservableGauge(
            "f5tts_worker_batch_limit", () => PerWorker(w => w.BatchLimit), unit: null,
            description: "Most items the worker puts in one Transformer call: F5Tts:Batching:MaxBatchSize, or the size it picked at start within the latency budget.");
        _meter.CreateObservableCounter(
            "f5tts_worker_busy", () => PerWorker(w => w.BusySeconds), unit: "s",
            description: "Seconds the worker spent inside engine calls; its rate is the worker's utilisation.");
        _meter.CreateObservableCounter(
            "f5tts_worker_faults", () => PerWorker(w => w.Faults), unit: null,
            description: "Failed Transformer steps and decodes of the worker.");

        // While no worker serves (warming up), the least of all workers' (their queues are empty then).
        static IEnumerable<Measurement<double>> PredictedWait(IReadOnlyList<WorkerSnapshot> workers) =>
            workers.Count == 0 ? [] : [new Measurement<double>((workers.Any(w => w.Up) ? workers.Where(w => w.Up) : workers).Min(w => w.PredictedWaitSeconds))];
    }

    /// <summary>
    /// The bucket boundaries of a histogram of this meter by instrument name (null for non-histograms); the Api uses
    /// it to pin the buckets with OpenTelemetry views.
    /// </summary>
    public static IReadOnlyList<double>? BucketsFor(string instrumentName) => instrumentName switch
    {
        "f5tts_request_duration" or "f5tts_queue_wait" or "f5tts_stage_duration" or "f5tts_time_to_first_audio" => LatencyBuckets,
        "f5tts_batch_size" => BatchSizeBuckets,
        "f5tts_batch_frames" => BatchFramesBuckets,
        "f5tts_real_time_factor" => RealTimeFactorBuckets,
        _ => null,
    };

    /// <summary>Counts one finished synthesis request. <paramref name="reason"/> is null for success and internal errors.</summary>
    public void RecordRequest(RequestOutcome outcome, TtsErrorKind? reason = null) => RecordRequest(outcome, reason?.ToSlug() ?? "none");

    /// <summary>
    /// Counts one finished request with a reason slug (the last segment of its problem type, e.g.
    /// <c>malformed-json</c>; <c>none</c> for success). Marks the current request scope counted.
    /// </summary>
    public void RecordRequest(RequestOutcome outcome, string reason)
    {
        if (_request.Value is { } scope)
        {
            scope.Counted = true;
        }

        _requests.Add(1,
            new KeyValuePair<string, object?>("outcome", OutcomeLabel(outcome)),
            new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>
    /// Opens the counting scope of one HTTP request (the Api's counting middleware): whatever the request's handlers
    /// count inside it is counted once, and <see cref="RequestScope.CountUnlessCounted"/> counts the requests nobody
    /// else did (errors before synthesis started: malformed JSON, unknown routes, an unavailable format…). The scope
    /// flows with the request's async calls (an instance <see cref="AsyncLocal{T}"/>, so hosts do not share it).
    /// </summary>
    public RequestScope BeginRequest()
    {
        var scope = new RequestScope(this, _request.Value);
        _request.Value = scope;
        return scope;
    }

    /// <summary>Counts a failed request by the <see cref="TtsErrorKind"/> of its exception (outcome derived from it).</summary>
    public void RecordRequestFailure(TtsErrorKind kind) => RecordRequest(OutcomeOf(kind), kind);

    /// <summary>Records an end-to-end request duration. Unknown formats are reported as <c>other</c>.</summary>
    public void RecordRequestDuration(string format, TimeSpan duration) =>
        _requestDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("format", FormatLabel(format)));

    /// <summary>Records how long a request waited in the admission queue.</summary>
    public void RecordQueueWait(TimeSpan wait) => _queueWait.Record(wait.TotalSeconds);

    /// <summary>Records the duration of one pipeline stage for one request or batch.</summary>
    public void RecordStage(PipelineStage stage, TimeSpan duration) =>
        _stageDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("stage", StageLabel(stage)));

    /// <summary>Records the time from request start to the first audio byte, labelled with the route (a closed set).</summary>
    public void RecordTimeToFirstAudio(TimeSpan elapsed, string? route = null) => _timeToFirstAudio.Record(
        elapsed.TotalSeconds, new KeyValuePair<string, object?>("route", RouteLabel(route)));

    /// <summary>A real-time session opened; dispose the result when it closes.</summary>
    public RealtimeSessionScope TrackRealtimeSession()
    {
        Interlocked.Increment(ref _realtimeSessions);
        return new RealtimeSessionScope(this);
    }

    /// <summary>Counts one text segment a real-time session submitted.</summary>
    public void RecordRealtimeSegment() => _realtimeSegments.Add(1);

    /// <summary>
    /// Records one Transformer call: its item count and total mel frames, and whether it was a step of the first-chunk
    /// lane (counted apart as well).
    /// </summary>
    public void RecordBatch(int size, long frames, bool firstChunkLane = false)
    {
        _batchSize.Record(size);
        _batchFrames.Record(frames);
        if (firstChunkLane)
        {
            _firstChunkLaneSteps.Add(1);
        }
    }

    /// <summary>Counts produced audio and records the request's real-time factor.</summary>
    /// <param name="audio">Duration of the audio produced.</param>
    /// <param name="processing">Processing time spent on it (excluding queue wait is the caller's choice; document it).</param>
    public void RecordAudio(TimeSpan audio, TimeSpan processing)
    {
        if (audio <= TimeSpan.Zero)
        {
            return;
        }

        _audioSeconds.Add(audio.TotalSeconds);
        _realTimeFactor.Record(processing.TotalSeconds / audio.TotalSeconds);
    }

    /// <summary>A request entered the admission queue.</summary>
    public void QueueEntered() => Interlocked.Increment(ref _queueDepth);

    /// <summary>A request left the admission queue (taken by the batcher, cancelled or expired).</summary>
    public void QueueLeft() => Interlocked.Decrement(ref _queueDepth);

    /// <summary>A synthesis request started; dispose the result when it ends (any outcome).</summary>
    public InflightScope TrackInflight()
    {
        Interlocked.Increment(ref _inflight);
        return new InflightScope(this);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    internal void RealtimeSessionClosed() => Interlocked.Decrement(ref _realtimeSessions);

    /// <summary>The outcome label a failure of <paramref name="kind"/> is counted under.</summary>
    public static RequestOutcome OutcomeOf(TtsErrorKind kind) => kind switch
    {
        TtsErrorKind.QueueFull or TtsErrorKind.NotReady => RequestOutcome.Rejected,
        TtsErrorKind.DeadlineExceeded => RequestOutcome.Timeout,
        TtsErrorKind.Cancelled => RequestOutcome.Cancelled,
        _ => RequestOutcome.ClientError,
    };

    private static string OutcomeLabel(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Success => "success",
        RequestOutcome.ClientError => "client_error",
        RequestOutcome.Rejected => "rejected",
        RequestOutcome.Timeout => "timeout",
        RequestOutcome.Cancelled => "cancelled",
        RequestOutcome.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
    };

    private static string StageLabel(PipelineStage stage) => stage switch
    {
        PipelineStage.Frontend => "frontend",
        PipelineStage.Preprocess => "preprocess",
        PipelineStage.Transformer => "transformer",
        PipelineStage.Decode => "decode",
        PipelineStage.Encode => "encode",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "Unknown stage."),
    };

    private static string RouteLabel(string? route)
    {
        foreach (var known in AudioRoutes)
        {
            if (string.Equals(known, route, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return "other";
    }

    private static string FormatLabel(string format)
    {
        foreach (var known in KnownFormats)
        {
            if (string.Equals(known, format, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return "other";
    }

    /// <summary>One request's counting scope (<see cref="BeginRequest"/>); dispose it when the request ends.</summary>
    public sealed class RequestScope : IDisposable
    {
        private readonly F5TtsMetrics _owner;
        private readonly RequestScope? _outer;

        internal RequestScope(F5TtsMetrics owner, RequestScope? outer)
        {
            _owner = owner;
            _outer = outer;
        }

        internal bool Counted { get; set; }

        /// <summary>Counts the request with <paramref name="outcome"/> and <paramref name="reason"/> unless it already was.</summary>
        public void CountUnlessCounted(RequestOutcome outcome, string reason)
        {
            if (!Counted)
            {
                _owner.RecordRequest(outcome, reason);
            }
        }

        /// <inheritdoc />
        public void Dispose() => _owner._request.Value = _outer;
    }

    /// <summary>Decrements the in-flight gauge once when disposed.</summary>
    public sealed class InflightScope : IDisposable
    {
        private F5TtsMetrics? _owner;

        internal InflightScope(F5TtsMetrics owner) => _owner = owner;

        /// <inheritdoc />
        public void Dispose()
        {
            var owner = Interlocked.Exchange(ref _owner, null);
            if (owner is not null)
            {
                Interlocked.Decrement(ref owner._inflight);
            }
        }
    }
}

/// <summary>Decrements the open real-time sessions gauge once when disposed.</summary>
public sealed class RealtimeSessionScope : IDisposable
{
    private F5TtsMetrics? _owner;

    internal RealtimeSessionScope(F5TtsMetrics owner) => _owner = owner;

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.RealtimeSessionClosed();
}

/// <summary>Outcome label of <c>f5tts_requests_total</c>.</summary>
public enum RequestOutcome
{
    /// <summary>Audio was produced and sent.</summary>
    Success,

    /// <summary>The request was invalid (4xx other than 429).</summary>
    ClientError,

    /// <summary>Refused for load or readiness (429/503).</summary>
    Rejected,

    /// <summary>Outlived its deadline (504).</summary>
    Timeout,

    /// <summary>The client went away.</summary>
    Cancelled,

    /// <summary>Internal fault (500).</summary>
    Error,
}

/// <summary>Stage label of <c>f5tts_stage_duration_seconds</c>.</summary>
public enum PipelineStage
{
    /// <summary>Text normalisation, tokenisation, duration rule, reference conditioning.</summary>
    Frontend,

    /// <summary>The Preprocess graph.</summary>
    Preprocess,

    /// <summary>All Transformer steps of a request (or one batched call, as documented by the caller).</summary>
    Transformer,

    /// <summary>The Decode (Vocos) graph.</summary>
    Decode,

    /// <summary>WAV / Opus / PCM encoding.</summary>
    Encode,
}

/// <summary>One device worker as its metrics see it (<see cref="F5TtsMetrics.ObserveWorkers"/>).</summary>
/// <param name="Worker">Worker name (<c>cpu</c>, <c>cpu0</c>, <c>gpu0</c>, …): the <c>worker</c> label.</param>
/// <param name="Up">Takes requests now.</param>
/// <param name="QueuedAudioSeconds">Audio-seconds of work admitted and not finished.</param>
/// <param name="PredictedWaitSeconds">Seconds until that work is done at the measured throughput.</param>
/// <param name="BusySeconds">Seconds spent in engine calls.</param>
/// <param name="Faults">Failed steps and decodes.</param>
/// <param name="BatchLimit">Most items in one Transformer call: the configured limit, or the batch size picked at start.</param>
public sealed record WorkerSnapshot(
    string Worker, bool Up, double QueuedAudioSeconds, double PredictedWaitSeconds, double BusySeconds, long Faults, int BatchLimit);
