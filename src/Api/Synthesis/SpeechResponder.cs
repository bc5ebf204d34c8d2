using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Api.Synthesis;

/// <summary>How the audio goes back to the client.</summary>
internal enum ResponseMode
{
    /// <summary>Synthesise everything, then send one body with Content-Length and timing headers.</summary>
    Whole,

    /// <summary>Chunked transfer of the encoded audio as each text chunk is ready.</summary>
    Stream,

    /// <summary>Server-sent events <c>speech.audio.delta</c> (base64 audio) then <c>speech.audio.done</c>.</summary>
    Sse,
}

/// <summary>
/// Writes synthesised speech to an HTTP response in any format and mode, and records the request's metrics. Shared
/// by <c>/v1/tts</c> and <c>/v1/audio/speech</c>. Errors before the first audio (validation, unknown voice, full
/// queue) propagate to the ProblemDetails handler; after the first byte is sent the response can only be cut short.
/// </summary>
internal sealed class SpeechResponder(TtsService tts, F5TtsMetrics metrics, ILogger<SpeechResponder> logger)
{
    /// <summary>Response header: seconds the request waited for a batch slot.</summary>
    public const string QueueTimeHeader = "X-Queue-Time";

    /// <summary>Response header: seconds from joining a batch to the last decoded sample.</summary>
    public const string InferenceTimeHeader = "X-Inference-Time";

    /// <summary>Response header: seconds from receiving the request to the response body being ready.</summary>
    public const string TotalTimeHeader = "X-Total-Time";

    /// <summary>Response header: seconds of audio in the body.</summary>
    public const string AudioDurationHeader = "X-Audio-Duration";

    /// <summary>Response header: the largest batch the request's chunks rode in.</summary>
    public const string BatchSizeHeader = "X-Batch-Size";

    /// <summary>Response header: how many text chunks the request was synthesised in.</summary>
    public const string ChunksHeader = "X-Chunks";


    /// <summary>Checks an output sample rate before any synthesis is spent on the request (400 otherwise).</summary>
    public static void ValidateSampleRate(AudioFormat format, int? sampleRate)
    {
        if (sampleRate is not { } rate || format == AudioFormat.Opus)
        {
            return; // Opus always decodes at 48 kHz: the rate does not apply
        }

        if (rate is < AudioEncoders.MinOutputSampleRate or > AudioEncoders.MaxOutputSampleRate)
        {
            throw TtsException.InvalidInput(
                $"sample_rate must be between {AudioEncoders.MinOutputSampleRate} and {AudioEncoders.MaxOutputSampleRate} Hz.", "sample_rate");
        }

        if (format == AudioFormat.Mp3 && rate is not (8_000 or 11_025 or 12_000 or 16_000 or 22_050 or 24_000 or 32_000 or 44_100 or 48_000))
        {
            throw TtsException.InvalidInput("mp3 needs an MPEG sample rate (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000 Hz).", "sample_rate");
        }
    }

    /// <summary>Synthesises <paramref name="request"/> and writes it to <paramref name="http"/>.</summary>
    /// <param name="http">The exchange.</param>
    /// <param name="request">What to synthesise.</param>
    /// <param name="format">Audio format.</param>
    /// <param name="sampleRate">Output rate, null for the model's.</param>
    /// <param name="mode">Whole, chunked stream or server-sent events.</param>
    /// <param name="timestamps">Whole: answer JSON with the audio and each segment's place (docs/dub.md
    /// "Segment timestamps"); server-sent events: add a <c>speech.segment</c> event per segment.</param>
    public async Task WriteAsync(HttpContext http, TtsRequest request, AudioFormat format, int? sampleRate, ResponseMode mode,
        bool timestamps = false)
    {
        ValidateSampleRate(format, sampleRate);
        LoudnessTarget.Validate(request.LoudnessLufs, mode == ResponseMode.Whole);
        var started = Stopwatch.GetTimestamp();
        var formatName = format.ToString().ToLowerInvariant();
        var aborted = http.RequestAborted;
        using var inflight = metrics.TrackInflight();
        TtsTiming? timing = null;
        var audioSamples = 0L;
        try
        {
            var segments = timestamps ? new List<SegmentTimestamp>() : null;
            var pieces = tts.StreamAsync(request, t => timing = t, aborted, firstChunkAhead: mode != ResponseMode.Whole, onSegment: segments is null ? null : segments.Add)
                .GetAsyncEnumerator(aborted);
            await using (pieces)
            {
                // The first piece settles every pre-audio error while a ProblemDetails answer is still possible.
                var hasFirst = await pieces.MoveNextAsync();
                var settings = new AudioEncoderSettings(TtsService.SampleRate, sampleRate);
                audioSamples = mode == ResponseMode.Whole
                    ? await WriteWholeAsync(http, pieces, hasFirst, format, settings, () => timing!, started, request.LoudnessLufs, segments)
                    : await StreamAsync(http, pieces, hasFirst, format, settings, mode, started, segments);
            }

            var total = Stopwatch.GetElapsedTime(started);
            metrics.RecordRequest(RequestOutcome.Success);
            metrics.RecordRequestDuration(formatName, total);
            var audio = TimeSpan.FromSeconds((double)audioSamples / TtsService.SampleRate);
            metrics.RecordAudio(audio, total - (timing?.QueueWait ?? TimeSpan.Zero));
        }
        catch (TtsException ex) when (ex.Kind == TtsErrorKind.Cancelled || aborted.IsCancellationRequested)
        {
            metrics.RecordRequestFailure(TtsErrorKind.Cancelled);
            logger.LogInformation("Client went away after {Seconds:0.000} s; remaining chunks dropped", Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = 499; // logged only: nobody reads it
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            metrics.RecordRequestFailure(TtsErrorKind.Cancelled);
            logger.LogInformation("Client went away after {Seconds:0.000} s", Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (TtsException ex)
        {
            metrics.RecordRequestFailure(ex.Kind);
            if (http.Response.HasStarted)
            {
                logger.LogWarning(ex, "Streaming response cut short: {Reason}", ex.Message);
                http.Abort();
                return;
            }

            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            metrics.RecordRequest(RequestOutcome.Error);
            if (http.Response.HasStarted)
            {
                logger.LogError(ex, "Synthesis failed after the response started");
                http.Abort();
                return;
            }

            throw;
        }
    }

    /// <summary>Gathers every piece, encodes the whole audio and sends it as one body with the timing headers.</summary>
    private async Task<long> WriteWholeAsync(
        HttpContext http, IAsyncEnumerator<float[]> pieces, bool hasFirst, AudioFormat format,
        AudioEncoderSettings settings, Func<TtsTiming> timing, long started, double? loudness, List<SegmentTimestamp>? segments)
    {
        var aborted = http.RequestAborted;
        var all = new List<float[]>();
        for (var more = hasFirst; more; more = await pieces.MoveNextAsync())
        {
            all.Add(pieces.Current);
        }

        var pcm = AudioPieces.Concat(all);
        LoudnessTarget.Apply(pcm, loudness);
        var encodeStarted = Stopwatch.GetTimestamp();
        using var body = new MemoryStream();
        await AudioEncoders.EncodeAsync(format, pcm, body, settings, aborted);
        metrics.RecordStage(PipelineStage.Encode, Stopwatch.GetElapsedTime(encodeStarted));
        SetTimingHeaders(http.Response, timing(), Stopwatch.GetElapsedTime(started), pcm.Length);
        if (segments is not null)
        {
            var answer = Contracts.TimestampsResponse.From(format, settings, pcm.Length, body, segments);
            await TypedResults.Json(answer).ExecuteAsync(http);
            metrics.RecordTimeToFirstAudio(Stopwatch.GetElapsedTime(started));
            return pcm.Length;
        }

        http.Response.ContentType = AudioEncoders.ContentTypeOf(format);
        http.Response.ContentLength = body.Length;
        metrics.RecordTimeToFirstAudio(Stopwatch.GetElapsedTime(started), http.Request.Path.Value);
        body.Position = 0;
        await body.CopyToAsync(http.Response.Body, aborted);
        return pcm.Length;
    }

    private async Task<long> StreamAsync(
        HttpContext http, IAsyncEnumerator<float[]> pieces, bool hasFirst, AudioFormat format,
        AudioEncoderSettings settings, ResponseMode mode, long started, List<SegmentTimestamp>? segments)
    {
        var aborted = http.RequestAborted;
        var response = http.Response;
        response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx buffer responses unless told not to; streaming is the point here.
        response.Headers["X-Accel-Buffering"] = "no";
        var sse = mode == ResponseMode.Sse;
        response.ContentType = sse ? "text/event-stream" : AudioEncoders.ContentTypeOf(format);
        await response.StartAsync(aborted);

        using var buffer = new MemoryStream();
        var encoder = AudioEncoders.Create(format, sse ? buffer : response.Body, settings);
        try
        {
            long samples = 0;
            var first = true;
            var sent = 0;
            for (var more = hasFirst; more; more = await pieces.MoveNextAsync())
            {
                var piece = pieces.Current;
                samples += piece.Length;
                await encoder.WriteAsync(piece, aborted);
                await encoder.FlushAsync(aborted);
                if (sse)
                {
                    await WriteDeltaAsync(response, buffer, aborted);
                    sent = await WriteSegmentsAsync(response, segments, sent, aborted);
                }

                if (first)
                {
                    first = false;
                    metrics.RecordTimeToFirstAudio(Stopwatch.GetElapsedTime(started), http.Request.Path.Value);
                }
            }

            await encoder.CompleteAsync(aborted);
            if (sse)
            {
                await WriteDeltaAsync(response, buffer, aborted);
                await WriteSegmentsAsync(response, segments, sent, aborted);
                var done = JsonSerializer.Serialize(new
                {
                    type = "speech.audio.done",
                    usage = new { input_tokens = 0, output_tokens = 0, total_tokens = 0 },
                });
                await response.WriteAsync($"data: {done}\n\n", aborted);
                await response.Body.FlushAsync(aborted);
            }

            return samples;
        }
        finally
        {
            (encoder as IDisposable)?.Dispose();
        }
    }

    private static async Task WriteDeltaAsync(HttpResponse response, MemoryStream buffer, CancellationToken cancellationToken)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        var audio = Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
        buffer.SetLength(0);
        var json = JsonSerializer.Serialize(new { type = "speech.audio.delta", audio });
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {json}\n\n"), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>Sends a <c>speech.segment</c> event for each segment placed since the last call; returns how many are sent.</summary>
    private static async Task<int> WriteSegmentsAsync(HttpResponse response, List<SegmentTimestamp>? segments, int sent, CancellationToken cancellationToken)
    {
        for (; segments is not null && sent < segments.Count; sent++)
        {
            var json = JsonSerializer.Serialize(Contracts.SegmentTimestampDto.From(segments[sent], "speech.segment"));
            await response.WriteAsync($"data: {json}\n\n", cancellationToken);
        }

        await response.Body.FlushAsync(cancellationToken);
        return sent;
    }

    /// <summary>The timing headers of a whole response (also <c>/v1/dub</c>'s).</summary>
    internal static void SetTimingHeaders(HttpResponse response, TtsTiming timing, TimeSpan total, long samples)
    {
        var h = response.Headers;
        h[QueueTimeHeader] = Seconds(timing.QueueWait);
        h[InferenceTimeHeader] = Seconds(timing.Inference);
        h[TotalTimeHeader] = Seconds(total);
        h[AudioDurationHeader] = Seconds(TimeSpan.FromSeconds((double)samples / TtsService.SampleRate));
        h[BatchSizeHeader] = timing.MaxBatchSize.ToString(CultureInfo.InvariantCulture);
        h[ChunksHeader] = timing.Chunks.ToString(CultureInfo.InvariantCulture);
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture);
}
