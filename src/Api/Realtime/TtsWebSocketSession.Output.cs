using System.Diagnostics;
using F5Tts.Inference.Audio;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Metrics;
using F5Tts.Inference.Synthesis;

namespace F5Tts.Api.Realtime;

/// <summary>The session's output side: the audio writer, the <c>done</c> message, and the counted close.</summary>
internal sealed partial class TtsWebSocketSession
{
    /// <summary>The audio writer: each segment's message and audio as it is synthesised, then the stream's tail.</summary>
    private async Task WriteAsync(SpeechStream stream, AudioFormat format)
    {
        try
        {
            using var buffer = new MemoryStream();
            var encoder = AudioEncoders.Create(format, buffer, new AudioEncoderSettings(TtsService.SampleRate));
            try
            {
                var sentAudio = false;
                await foreach (var audio in stream.ReadAllAsync(CancellationToken.None))
                {
                    if (audio.Segment is { } s)
                    {
                        await socket.SendJsonAsync(new
                        {
                            type = "segment", index = s.Index, text = s.Text,
                            start_s = Math.Round(audio.StartSeconds, 6), duration_s = Math.Round(audio.DurationSeconds, 6),
                        }, CancellationToken.None);
                    }

                    var encodeStarted = Stopwatch.GetTimestamp();
                    await encoder.WriteAsync(audio.Samples);
                    await (audio.Segment is null ? encoder.CompleteAsync() : encoder.FlushAsync());
                    metrics.RecordStage(PipelineStage.Encode, Stopwatch.GetElapsedTime(encodeStarted));
                    if (buffer.Length > 0)
                    {
                        await socket.SendBinaryAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), CancellationToken.None);
                        buffer.SetLength(0);
                        if (!sentAudio)
                        {
                            sentAudio = true;
                            metrics.RecordTimeToFirstAudio(Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstSubmitted)), Route);
                        }
                    }

                    Touch();
                }
            }
            finally
            {
                (encoder as IDisposable)?.Dispose();
            }

            _events.Writer.TryWrite(new WriterDoneEvent());
        }
        catch (Exception ex)
        {
            _events.Writer.TryWrite(new WriterFailedEvent(ex));
        }
    }

    private async Task SendDoneAsync()
    {
        var audio = _stream!.AudioSeconds;
        await socket.SendJsonAsync(new
        {
            type = "done", segments = _stream.Segments, characters = _characters, audio_s = Math.Round(audio, 6),
        }, CancellationToken.None);
        metrics.RecordRequest(RequestOutcome.Success);
        metrics.RecordRequestDuration(_formatName, time.GetElapsedTime(_opened));
        metrics.RecordAudio(TimeSpan.FromSeconds(audio), time.GetElapsedTime(_opened));
    }

    /// <summary>Counts the session, sends the error (if any) and the close frame, and waits (bounded) for the client's close.</summary>
    private async Task CloseAsync(SessionError? failure, bool clientClosed, Task receiver, CancellationTokenSource receiving)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
        try
        {
            if (failure is not null)
            {
                metrics.RecordRequest(Outcome(failure.Reason), failure.Problem[(failure.Problem.LastIndexOf(':') + 1)..]);
                await socket.SendJsonAsync(new
                {
                    type = "error", problem = failure.Problem, detail = failure.Message, close_code = (int)failure.CloseCode,
                }, bound.Token);
                await socket.CloseAsync(failure.CloseCode, failure.Problem[(failure.Problem.LastIndexOf(':') + 1)..], bound.Token);
            }
            else
            {
                if (clientClosed)
                {
                    metrics.RecordRequestFailure(TtsErrorKind.Cancelled);
                    LogClientClosed(_stream?.Segments ?? 0);
                }

                await socket.CloseAsync(RealtimeCloseCodes.Done, clientClosed ? "closed" : "done", bound.Token);
            }

            if (receiver.IsCompleted)
            {
                await socket.DrainAsync(bound.Token); // the receiver stopped at a bad message: read up to the client's close
            }

            await receiver.WaitAsync(bound.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            await receiving.CancelAsync(); // a client that does not answer the close: drop the connection
            socket.Abort();
        }
    }
}
