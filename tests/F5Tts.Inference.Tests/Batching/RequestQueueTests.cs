using F5Tts.Inference.Batching;
using F5Tts.Inference.Errors;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Batching;

/// <summary>
/// The request queue alone (no worker): a request's chunks are admitted as one unit within QueueCapacity, refused
/// with 413 when they could never fit and 429 when the slots are taken; cancellation while waiting frees a slot at
/// once; the drain refuses new requests but lets admitted ones submit their remaining chunks.
/// </summary>
public sealed class RequestQueueTests
{
    // Only keeps a broken queue from hanging the run; every wait below ends at once when the queue works.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private readonly JobLedger _ledger = TestMeters.Ledger();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void A_request_takes_a_slot_per_chunk_and_one_that_does_not_fit_now_gets_429_with_retry_after()
    {
        var queue = Queue(capacity: 4, retryAfter: 3);
        using var first = queue.Admit(3, Ct);
        Assert.Equal(3, _ledger.Slots);

        var full = Assert.Throws<TtsException>(() => queue.Admit(2, Ct));
        Assert.Equal(TtsErrorKind.QueueFull, full.Kind);
        Assert.Equal(TimeSpan.FromSeconds(3), full.RetryAfter);
        Assert.Equal(3, _ledger.Slots); // a refused request takes nothing

        using var last = queue.Admit(1, Ct);
        Assert.Equal(4, _ledger.Slots);
    }

    [Fact]
    public void A_request_with_more_chunks_than_can_ever_be_queued_gets_413_naming_the_limit_even_on_an_idle_queue()
    {
        var queue = Queue(capacity: 8);
        var tooLong = Assert.Throws<TtsException>(() => queue.Admit(9, Ct));
        Assert.Equal(TtsErrorKind.PayloadTooLarge, tooLong.Kind);
        Assert.Equal("text", tooLong.Parameter);
        Assert.Contains("9 chunks", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("8", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("QueueCapacity", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(0, _ledger.Slots);

        using var exactly = queue.Admit(8, Ct); // as many as exist: fine
        Assert.Equal(8, _ledger.Slots);
    }

    [Fact]
    public void Unsubmitted_chunks_give_their_slots_back_and_submitting_the_last_chunk_closes_the_admission()
    {
        var queue = Queue(capacity: 4);
        var admission = queue.Admit(3, Ct);
        _ = admission.Submit(FakeEngine.Input(1));
        admission.Dispose();
        Assert.Equal(1, _ledger.Slots); // the queued chunk keeps its slot until it starts

        using var whole = queue.Admit(2, Ct);
        _ = whole.Submit(FakeEngine.Input(2));
        _ = whole.Submit(FakeEngine.Input(3));
        Assert.Equal(0, whole.Remaining);
        Assert.Throws<InvalidOperationException>(() => { _ = whole.Submit(FakeEngine.Input(4)); });
        Assert.Equal(3, _ledger.Slots);
    }

    [Fact]
    public async Task A_chunk_cancelled_while_waiting_completes_at_once_and_frees_its_slot()
    {
        var queue = Queue(capacity: 1);
        using var cancel = new CancellationTokenSource();
        using var admission = queue.Admit(1, cancel.Token);
        var waiting = admission.Submit(FakeEngine.Input(1));
        Assert.Throws<TtsException>(() => queue.Admit(1, Ct));

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound, Ct));
        Assert.Equal(0, _ledger.Slots);
        using var next = queue.Admit(1, Ct);
        Assert.True(queue.TryRead(out var job)); // the worker drops it: it is no longer waiting
        Assert.False(job.IsWaiting);
    }

    [Fact]
    public async Task The_drain_refuses_new_requests_but_an_admitted_one_submits_its_remaining_chunks_then_the_input_ends()
    {
        var queue = Queue(capacity: 4);
        var admission = queue.Admit(2, Ct);
        _ = admission.Submit(FakeEngine.Input(1));

        queue.BeginDrain();
        Assert.False(queue.IsAccepting);
        Assert.Equal(TtsErrorKind.NotReady, Assert.Throws<TtsException>(() => queue.Admit(1, Ct)).Kind);
        Assert.True(queue.TryRead(out _));
        var open = queue.WaitToReadAsync(Ct);
        Assert.False(open.IsCompleted); // the admission may still submit: the input has not ended

        var second = admission.Submit(FakeEngine.Input(2)); // the last chunk: the admission closes itself
        Assert.False(second.IsCompleted);
        Assert.True(await open.AsTask().WaitAsync(Bound, Ct));
        Assert.True(queue.TryRead(out var job));
        Assert.Equal(2, job.Input.Sampler.Seed);
        Assert.False(await queue.WaitToReadAsync(Ct).AsTask().WaitAsync(Bound, Ct)); // ended: nothing left, nobody can submit
    }

    [Fact]
    public async Task After_a_forced_stop_a_submitted_chunk_fails_as_not_ready()
    {
        var queue = Queue(capacity: 4);
        using var admission = queue.Admit(2, Ct);
        queue.Close();
        var late = admission.Submit(FakeEngine.Input(1));
        Assert.Equal(TtsErrorKind.NotReady, (await Assert.ThrowsAsync<TtsException>(() => late)).Kind);
        Assert.Equal(1, _ledger.Slots); // the failed chunk's slot is free; one is still reserved
    }

    private RequestQueue Queue(int capacity, int retryAfter = 1) =>
        new(new BatchingOptions { QueueCapacity = capacity, RetryAfterSeconds = retryAfter }, _ledger);
}
