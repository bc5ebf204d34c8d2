using System.Diagnostics;
using System.Threading.Channels;
using F5Tts.Api.Auth;
using F5Tts.Api.Errors;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Options;
using F5Tts.Inference.Synthesis;
using F5Tts.Inference.Text;

namespace F5Tts.Api.Realtime;

/// <summary>
/// One session of the real-time route (docs/realtime.md): a single loop reacts to client messages, timers (the
/// segment wait, idleness, the session's length) and the audio writer, so the session's state has one owner. Text
/// goes through the <see cref="TextSegmenter"/> into a <see cref="SpeechStream"/>; the writer task sends each
/// segment's <c>segment</c> message and audio as soon as it is synthesised. Any error is sent as an <c>error</c>
/// message before the close; a client that closes (or drops) cancels its queued and running work.
/// </summary>
internal sealed partial class TtsWebSocketSession(
    RealtimeSocket socket,
    TtsService tts,
    RealtimeOptions options,
    ApiKeys keys,
    bool keyPending,
    F5TtsMetrics metrics,
    ILogger logger,
    TimeProvider time)
{
    private const string Route = "/v1/tts/ws";

    private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>();
    private readonly long _opened = time.GetTimestamp();
    private TextSegmenter? _segmenter;
    private SpeechStream? _stream;
    private long _lastActivity = time.GetTimestamp();
    private long _textSince; // when the text now buffered began to wait; 0 for none
    private long _firstSubmitted;
    private int _characters;
    private bool _ended;
    private string _formatName = "pcm";

    /// <summary>Serves the session until it is done, fails or the client leaves; then closes the socket.</summary>
    /// <param name="slot">The session's place under F5Tts:Realtime:MaxSessions; null when none was free.</param>
    /// <param name="stopping">Fires when the host shuts down.</param>
    public async Task RunAsync(IDisposable? slot, CancellationToken stopping)
    {
        using var receiving = new CancellationTokenSource();
        using var onStop = stopping.Register(() => _events.Writer.TryWrite(new StoppingEvent()));
        var receiver = socket.ReceiveLoopAsync(_events.Writer, receiving.Token);
        SessionError? failure = null;
        var clientClosed = false;
        try
        {
            clientClosed = slot is null
                ? throw new SessionError(ProblemTypes.TooManySessions,
                    $"{options.MaxSessions} real-time sessions are open (F5Tts:Realtime:MaxSessions); try again later.",
                    RealtimeCloseCodes.TryAgainLater, RequestOutcomeReason.Rejected)
                : await ServeAsync();
        }
        catch (SessionError error)
        {
            failure = error;
        }
        catch (TtsException ex)
        {
            failure = SessionError.From(ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex);
            failure = Internal();
        }
        finally
        {
            _stream?.Dispose(); // cancels queued and running segments (at the next step)
        }

        await CloseAsync(failure, clientClosed, receiver, receiving);
    }

    private async Task<bool> ServeAsync()
    {
        while (true)
        {
            switch (await NextEventAsync())
            {
                case null:
                    OnTimer();
                    break;
                case MessageEvent message:
                    Touch();
                    await OnMessageAsync(message.Message);
                    break;
                case ReceiveErrorEvent error:
                    throw error.Error;
                case ClientClosedEvent:
                    return true;
                case WriterDoneEvent:
                    await SendDoneAsync();
                    return false;
                case WriterFailedEvent failed:
                    throw failed.Error switch
                    {
                        SessionError s => s,
                        TtsException t => SessionError.From(t),
                        var other => LogInternal(other),
                    };
                case StoppingEvent:
                    throw new SessionError(ProblemTypes.NotReady, "The service is shutting down; reconnect to another instance.",
                        RealtimeCloseCodes.GoingAway, RequestOutcomeReason.Rejected);
            }
        }
    }

    /// <summary>The next event, or null when the earliest timer (segment wait, idleness, session length) is due.</summary>
    private async Task<SessionEvent?> NextEventAsync()
    {
        if (_events.Reader.TryRead(out var ready))
        {
            return ready;
        }

        var now = time.GetTimestamp();
        var due = TimeSpan.FromSeconds(options.MaxSessionSeconds) - time.GetElapsedTime(_opened, now);
        if (IsIdle)
        {
            due = Min(due, TimeSpan.FromSeconds(options.IdleTimeoutSeconds) - time.GetElapsedTime(Volatile.Read(ref _lastActivity), now));
        }

        if (WaitsForText)
        {
            due = Min(due, TimeSpan.FromMilliseconds(options.MaxWaitMilliseconds) - time.GetElapsedTime(_textSince, now));
        }

        if (due <= TimeSpan.Zero)
        {
            return null;
        }

        using var timer = new CancellationTokenSource(due, time);
        try
        {
            return await _events.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            return null;
        }
    }

    private bool IsIdle => _stream is null || (_stream.Pending == 0 && !_ended);

    private bool WaitsForText => _segmenter is { HasText: true } && options.MaxWaitMilliseconds > 0 && !_ended;

    private void OnTimer()
    {
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(_opened, now) >= TimeSpan.FromSeconds(options.MaxSessionSeconds))
        {
            throw new SessionError(ProblemTypes.SessionExpired,
                $"The session reached its maximum length of {options.MaxSessionSeconds} s (F5Tts:Realtime:MaxSessionSeconds).",
                RealtimeCloseCodes.Refused, RequestOutcomeReason.ClientError);
        }

        if (IsIdle && time.GetElapsedTime(Volatile.Read(ref _lastActivity), now) >= TimeSpan.FromSeconds(options.IdleTimeoutSeconds))
        {
            throw new SessionError(ProblemTypes.IdleTimeout,
                $"Nothing was received for {options.IdleTimeoutSeconds} s (F5Tts:Realtime:IdleTimeoutSeconds).",
                RealtimeCloseCodes.Refused, RequestOutcomeReason.ClientError);
        }

        if (WaitsForText && time.GetElapsedTime(_textSince, now) >= TimeSpan.FromMilliseconds(options.MaxWaitMilliseconds))
        {
            // Spoken up to its last complete word; a single unfinished word waits for the next period.
            Submit(_segmenter!.TakeWaiting());
            _textSince = _segmenter.HasText ? now : 0;
        }
    }

    private async Task OnMessageAsync(ClientMessage message)
    {
        if (message is StartMessage start)
        {
            await StartAsync(start);
            return;
        }

        if (_stream is null || _segmenter is null)
        {
            throw SessionError.Protocol($"Send a start message first (got {TypeName(message)}).");
        }

        if (_ended)
        {
            throw SessionError.Protocol($"The text has ended; no {TypeName(message)} message may follow end.");
        }

        switch (message)
        {
            case TextMessage text:
                _characters += text.Text.Length;
                if (_characters > options.MaxSessionCharacters)
                {
                    throw new SessionError(ProblemTypes.PayloadTooLarge,
                        $"A session may send at most {options.MaxSessionCharacters} characters of text (F5Tts:Realtime:MaxSessionCharacters).",
                        RealtimeCloseCodes.Refused, RequestOutcomeReason.ClientError);
                }

                var segments = _segmenter.Append(text.Text);
                foreach (var segment in segments)
                {
                    Submit(segment);
                }

                _textSince = !_segmenter.HasText ? 0 : segments.Count > 0 || _textSince == 0 ? time.GetTimestamp() : _textSince;
                break;
            case FlushMessage:
                Submit(_segmenter.TakeAll());
                _textSince = 0;
                break;
            case EndMessage:
                Submit(_segmenter.TakeAll());
                _textSince = 0;
                _ended = true;
                _stream.Complete();
                break;
        }
    }

    private async Task StartAsync(StartMessage message)
    {
        var start = message.Settings;
        if (_stream is not null)
        {
            throw SessionError.Protocol("start was already sent; a session has one start.");
        }

        if (keyPending && !keys.IsValid(start.ApiKey))
        {
            throw new SessionError(ProblemTypes.Unauthorized,
                start.ApiKey is null
                    ? "An API key is required: send 'Authorization: Bearer <key>' with the upgrade, or \"api_key\" in start."
                    : "The API key is not valid.",
                RealtimeCloseCodes.Refused, RequestOutcomeReason.ClientError);
        }

        var format = (start.Format ?? "pcm").Trim().ToLowerInvariant() switch
        {
            "pcm" => AudioFormat.Pcm,
            "opus" or "ogg" => AudioFormat.Opus,
            _ => throw SessionError.From(TtsException.InvalidInput("format must be pcm (s16le, 24 kHz) or opus (Ogg Opus).", "format")),
        };
        _stream = tts.OpenStream(new TtsRequest
        {
            Text = string.Empty,
            VoiceId = start.Voice,
            Speed = start.Speed,
            NfeSteps = start.NfeSteps,
            CfgStrength = start.CfgStrength,
            Sway = start.Sway,
            Seed = start.Seed,
            Normalize = start.Normalize,
        }, CancellationToken.None);
        _segmenter = new TextSegmenter(options);
        _formatName = format.ToString().ToLowerInvariant();
        var rate = format == AudioFormat.Opus ? 48_000 : TtsService.SampleRate;
        await socket.SendJsonAsync(new { type = "started", format = _formatName, sample_rate = rate, channels = 1 }, CancellationToken.None);
        var stream = _stream;
        _ = Task.Run(() => WriteAsync(stream, format));
    }

    private void Submit(string? text)
    {
        if (text is null || _stream!.Submit(text) is not { } segment)
        {
            return;
        }

        metrics.RecordRealtimeSegment();
        if (Interlocked.Read(ref _firstSubmitted) == 0)
        {
            Interlocked.Exchange(ref _firstSubmitted, segment.SubmittedTimestamp);
        }
    }

    private void Touch() => Volatile.Write(ref _lastActivity, time.GetTimestamp());

    private SessionError LogInternal(Exception ex)
    {
        LogFailed(ex);
        return Internal();
    }

    private static SessionError Internal() => new(ProblemTypes.InternalError,
        "Synthesis failed unexpectedly; the server log has the details.", RealtimeCloseCodes.Failed, RequestOutcomeReason.Error);

    private static RequestOutcome Outcome(RequestOutcomeReason reason) => reason switch
    {
        RequestOutcomeReason.Rejected => RequestOutcome.Rejected,
        RequestOutcomeReason.Timeout => RequestOutcome.Timeout,
        RequestOutcomeReason.Error => RequestOutcome.Error,
        _ => RequestOutcome.ClientError,
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string TypeName(ClientMessage message) => message switch
    {
        TextMessage => "text",
        FlushMessage => "flush",
        EndMessage => "end",
        _ => "start",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Real-time session failed")]
    private partial void LogFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Real-time client closed after {Segments} segments; its remaining work was cancelled")]
    private partial void LogClientClosed(int segments);
}
