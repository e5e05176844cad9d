using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Webhooks;

/// <summary>
/// Delivers the webhooks queued in the store's outbox (the store writes the outbox row in the transaction of the audit
/// event, so a client's request never waits for a receiver). At least once: a webhook leaves the outbox only when the
/// receiver answered 2xx, or when it has been retried for <see cref="WebhookTarget.RetryFor"/> (dropped, with an error
/// log and a metric). Every attempt carries the same <c>webhook-id</c>, so receivers can deduplicate.
/// <para>
/// Wakes on <see cref="WebhookSignal"/> (this replica queued a webhook) and every second (webhooks other replicas
/// queued, and retries that waited in the outbox). Each webhook taken from the outbox is taken for a while (a lease),
/// so replicas sharing the store rarely send it at the same time; one that dies while sending releases it when the
/// lease ends. Retries go through a Polly retry strategy whose delays follow <see cref="WebhookSchedule"/>: the short
/// first waits are waited here, every failed attempt is recorded in the outbox (attempts and next attempt time) before
/// the wait, so a restart continues the schedule; longer waits are left to the outbox.
/// </para>
/// <para>
/// Two bounds, not one: up to <see cref="MaxInHand"/> webhooks are in hand (sending, waiting for a send slot, or
/// waiting between in-process retries), and up to <see cref="MaxSending"/> HTTP requests are under way. A retry that
/// waits holds no send slot, so a receiver that fails does not stop other webhooks from getting their first attempt
/// within a moment. A webhook stays leased all the time it is in hand: a lease that would run out while the webhook
/// waits for a send slot is extended in the store first (the wait for a slot is not part of the attempt's timeout).
/// </para>
/// </summary>
internal sealed partial class WebhookSender : BackgroundService
{
    /// <summary>HTTP requests to the receiver under way at the same time, at most (per replica).</summary>
    internal const int MaxSending = 8;

    /// <summary>
    /// Webhooks in hand at the same time, at most: sending, waiting for a send slot, or waiting between in-process
    /// retries (which hold no send slot). Bounds memory (each holds its event and body, well under a kilobyte).
    /// </summary>
    internal const int MaxInHand = 256;

    /// <summary>
    /// Taken from the outbox in one look, at most; and no more is taken while this many wait for a send slot, so a
    /// receiver that answers slowly does not pile leased webhooks up in this replica while other replicas could send them.
    /// </summary>
    internal const int TakeBatch = 4 * MaxSending;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Added to a lease beyond the attempt it covers: another replica's clock may be a little ahead, and an attempt ends a
    /// little after its timeout.
    /// </summary>
    internal static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Added to a lease for the wait for a send slot: an attempt that gets its slot within it needs no store write; a
    /// longer wait extends the lease first.
    /// </summary>
    internal static readonly TimeSpan SlotWaitAllowance = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan OutageLogInterval = TimeSpan.FromMinutes(1);
    // Recording an outcome is not cancelled by shutdown (a delivered webhook left in the outbox would be sent again), but
    // bounded: the host's shutdown timeout is shared by everything.
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(5);
    private static readonly ResiliencePropertyKey<Delivery> DeliveryKey = new("SessionGateway.Webhooks.Delivery");

    private readonly ISessionStore _store;
    private readonly WebhookSignal _signal;
    private readonly WebhookTarget _target;
    private readonly HttpClient _client;
    private readonly WebhookMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<WebhookSender> _logger;
    private readonly ResiliencePipeline<WebhookAttempt> _pipeline;
    private readonly ResiliencePipeline<WebhookAttempt> _attempt;
    private readonly SemaphoreSlim _sendSlots = new(MaxSending, MaxSending);
    // Deliveries waiting for a send slot, those taken whose first attempt has not begun included (so a look right after a
    // full batch counts the batch just started).
    private int _waitingForSlot;
    // The last look took all it had room for, so more may be due: a delivery that gets its slot or ends wakes the loop
    // for the next batch at once (not a second later), so a backlog drains at the receiver's pace.
    private volatile bool _backlog;

    // The webhooks this replica is delivering (value: the delivery's task, null for the instant before it exists), so a
    // look at the outbox never starts a second delivery of one of them.
    private readonly ConcurrentDictionary<string, Task?> _inFlight = new(StringComparer.Ordinal);
    private long _lastOutageLogTicks = DateTimeOffset.MinValue.UtcTicks;

    public WebhookSender(
        ISessionStore store,
        WebhookSignal signal,
        WebhookTarget target,
        HttpMessageHandler handler,
        WebhookMetrics metrics,
        TimeProvider timeProvider,
        ILogger<WebhookSender> logger)
    {
        _store = store;
        _signal = signal;
        _target = target;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;

        // The pipeline's timeout ends an attempt; the client's own would only add a second clock.
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        // Two pipelines: the retry strategy around (wait for a send slot + the attempt), and the timeout strategy around
        // the HTTP request alone, so the time spent waiting for a slot never counts against an attempt.
        _pipeline = new ResiliencePipelineBuilder<WebhookAttempt> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<WebhookAttempt>
            {
                // Bounded by the schedule and RetryFor (ShouldHandle), not by a count.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetryHere(args.Context, args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(WebhookSchedule.DelayAfter(DeliveryOf(args.Context).Attempts)),
                OnRetry = args => RecordRetryAsync(args.Context, args.RetryDelay),
            })
            .Build();
        _attempt = new ResiliencePipelineBuilder<WebhookAttempt> { TimeProvider = timeProvider }
            .AddTimeout(target.Timeout)
            .Build();
    }

    /// <summary>The handler the gateway sends webhooks with: redirects not followed (a 3xx is a failed attempt), no cookies.</summary>
    public static SocketsHttpHandler CreateHandler(TimeSpan timeout) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = timeout,
        // A receiver behind DNS that moves (a Kubernetes Service, a load balancer) is looked up again now and then.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    public override void Dispose()
    {
        _client.Dispose();
        _sendSlots.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_target.ExposedSecretFile is { } exposed)
        {
            Log.SecretFileExposed(_logger, exposed.Path, exposed.Mode);
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await StartDueAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // The store is down (or failing): the webhooks wait in it; look again on the next tick.
                    LogOutage(exception);
                }

                await _signal.WaitAsync(PollInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }

        // Deliveries in flight were cancelled with the same token; each released its webhook for the next start.
        await Task.WhenAll(_inFlight.Values.OfType<Task>());
    }

    /// <summary>One look at the outbox: starts delivering what is due, and waits until those deliveries end (for tests).</summary>
    internal async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var started = await StartDueAsync(cancellationToken);
        await Task.WhenAll(started);
        return started.Count;
    }

    private async Task<List<Task>> StartDueAsync(CancellationToken cancellationToken)
    {
        var started = new List<Task>();
        // Room in hand, and not more than a batch waiting for a send slot (retries waiting their delay do not count).
        var free = Math.Min(MaxInHand - _inFlight.Count, TakeBatch - Volatile.Read(ref _waitingForSlot));
        if (free <= 0)
        {
            return started;
        }

        var now = _timeProvider.GetUtcNow();
        // The lease covers the first attempt and a short wait for its send slot; a longer wait extends it (EnterAsync),
        // and each retry's record extends it (RecordRetryAsync).
        var leaseUntil = now + LeaseFor;
        var taken = await _store.TakeWebhooksAsync(now, leaseUntil, free, cancellationToken);
        _backlog = taken.Count == free;
        // Oldest first (the store's order), but a theft webhook of the batch first of all: it asks for the fastest action.
        foreach (var webhook in taken.OrderBy(static w => SessionEventTypes.TypeOf(w.Event.Kind) == SessionEventTypes.TheftDetected ? 0 : 1))
        {
            if (!_inFlight.TryAdd(webhook.WebhookId, null))
            {
                continue;
            }

            Interlocked.Increment(ref _waitingForSlot);
            var task = Task.Run(() => DeliverAndForgetAsync(webhook, leaseUntil, cancellationToken), CancellationToken.None);
            _inFlight.TryUpdate(webhook.WebhookId, task, null);
            started.Add(task);
        }

        return started;
    }

    private async Task DeliverAndForgetAsync(QueuedWebhook webhook, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        // Counted as waiting for a slot since StartDueAsync; EnterAsync takes the count over.
        var delivery = new Delivery(webhook, webhook.Event.OccurredAt + _target.RetryFor) { LeaseUntil = leaseUntil, AwaitingSlot = true };
        try
        {
            await DeliverAsync(delivery, cancellationToken);
        }
        catch (Exception exception)
        {
            // Recording the outcome failed (the store went away, or shutdown came first): the lease ends and the webhook
            // is taken again, sent again if it was delivered (at least once; same webhook-id).
            if (!cancellationToken.IsCancellationRequested)
            {
                LogOutage(exception);
            }
        }
        finally
        {
            if (delivery.AwaitingSlot)
            {
                Interlocked.Decrement(ref _waitingForSlot);
            }

            _inFlight.TryRemove(webhook.WebhookId, out _);
            WakeForBacklog();
        }
    }

    private async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var webhook = delivery.Webhook;
        var auditEvent = webhook.Event;
        var type = SessionEventTypes.TypeOf(auditEvent.Kind);
        if (WebhookPayload.Serialize(auditEvent) is not { } body || type is null)
        {
            // A kind this version cannot name (queued by a newer replica): nothing to send it as.
            Log.UnknownKind(_logger, webhook.WebhookId, auditEvent.Kind);
            _metrics.Dropped();
            await CompleteAsync(webhook.WebhookId);
            return;
        }

        delivery.Type = type;
        delivery.Body = body;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(DeliveryKey, delivery);
        Outcome<WebhookAttempt> outcome;
        try
        {
            outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (context, sender) => await sender.AttemptAsync(context),
                context,
                this);
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested)
        {
            outcome = Outcome.FromException<WebhookAttempt>(exception);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (outcome.Exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // Shutdown: the attempt under way is not a failed one. The webhook is due again at once (not when its lease
            // ends), for this replica's next start or another replica.
            using var release = new CancellationTokenSource(RecordTimeout);
            try
            {
                await _store.RescheduleWebhookAsync(webhook.WebhookId, delivery.Attempts, _timeProvider.GetUtcNow(), release.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException || StoreFailures.IsOutage(exception))
            {
                // The lease ends by itself.
            }

            return;
        }

        if (outcome.Result.Delivered && outcome.Exception is null)
        {
            _metrics.Delivered();
            Log.Delivered(_logger, webhook.WebhookId, type, delivery.Attempts + 1, outcome.Result.StatusCode);
            await CompleteAsync(webhook.WebhookId);
            return;
        }

        // Failed, and the next wait is too long to wait here (or past RetryFor): the outbox keeps the webhook.
        var next = delivery.LastFailureAt + WebhookSchedule.DelayAfter(delivery.Attempts);
        if (next > delivery.Deadline)
        {
            _metrics.Dropped();
            Log.Dropped(_logger, webhook.WebhookId, type, auditEvent.UserId, auditEvent.SessionHandle, delivery.Attempts, _target.RetryFor, delivery.LastFailure);
            await CompleteAsync(webhook.WebhookId);
            return;
        }

        _metrics.Failed();
        Log.AttemptFailed(_logger, webhook.WebhookId, type, delivery.Attempts, delivery.LastFailure, next);
        using var record = new CancellationTokenSource(RecordTimeout);
        await _store.RescheduleWebhookAsync(webhook.WebhookId, delivery.Attempts, next, record.Token);
    }

    private async Task CompleteAsync(string webhookId)
    {
        using var record = new CancellationTokenSource(RecordTimeout);
        await _store.CompleteWebhookAsync(webhookId, record.Token);
    }

    /// <summary>A lease long enough for an attempt, a short wait for its send slot, and the margin.</summary>
    private TimeSpan LeaseFor => _target.Timeout + LeaseMargin + SlotWaitAllowance;

    /// <summary>One attempt: a send slot, then the HTTP request under the per-attempt timeout.</summary>
    private async ValueTask<Outcome<WebhookAttempt>> AttemptAsync(ResilienceContext context)
    {
        try
        {
            await EnterAsync(DeliveryOf(context), context.CancellationToken);
        }
        catch (OperationCanceledException exception)
        {
            // Shutdown while waiting for a slot: no attempt was made (ShouldRetryHere sees the cancelled token).
            return Outcome.FromException<WebhookAttempt>(exception);
        }

        try
        {
            return await _attempt.ExecuteOutcomeAsync(
                static async (context, sender) => await sender.SendAsync(context),
                context,
                this);
        }
        finally
        {
            _sendSlots.Release();
        }
    }

    /// <summary>
    /// Waits for a send slot, keeping the webhook leased meanwhile: when the lease would run out before a slot comes, and
    /// when the slot came too late for the lease to cover the attempt, the lease is extended in the store first.
    /// </summary>
    private async Task EnterAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (!delivery.AwaitingSlot)
        {
            delivery.AwaitingSlot = true;
            Interlocked.Increment(ref _waitingForSlot);
        }

        if (!_sendSlots.Wait(0, CancellationToken.None))
        {
            try
            {
                while (true)
                {
                    var renewIn = delivery.LeaseUntil - LeaseMargin - _timeProvider.GetUtcNow();
                    if (renewIn > TimeSpan.Zero)
                    {
                        using var renew = new CancellationTokenSource(renewIn, _timeProvider);
                        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, renew.Token);
                        try
                        {
                            await _sendSlots.WaitAsync(either.Token);
                            break;
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            // Time to extend the lease.
                        }
                    }

                    await ExtendLeaseAsync(delivery, cancellationToken);
                }
            }
            finally
            {
                delivery.AwaitingSlot = false;
                Interlocked.Decrement(ref _waitingForSlot);
            }
        }
        else
        {
            delivery.AwaitingSlot = false;
            Interlocked.Decrement(ref _waitingForSlot);
        }

        WakeForBacklog();

        if (delivery.LeaseUntil - _timeProvider.GetUtcNow() < _target.Timeout + LeaseMargin)
        {
            try
            {
                await ExtendLeaseAsync(delivery, cancellationToken);
            }
            catch
            {
                _sendSlots.Release();
                throw;
            }
        }
    }

    private void WakeForBacklog()
    {
        if (_backlog)
        {
            _signal.Notify();
        }
    }

    /// <summary>The webhook stays this replica's for another attempt and short wait (due again only when that ends).</summary>
    private async Task ExtendLeaseAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var leaseUntil = _timeProvider.GetUtcNow() + LeaseFor;
        try
        {
            await _store.RescheduleWebhookAsync(delivery.Webhook.WebhookId, delivery.Attempts, leaseUntil, cancellationToken);
            delivery.LeaseUntil = leaseUntil;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            // The attempt still happens (at least once): if another replica takes the webhook when the stored lease
            // ends, the receiver may get it twice, under the same webhook-id. Counted as extended all the same, so a
            // store that is down is not asked again in a tight loop.
            LogOutage(exception);
            delivery.LeaseUntil = leaseUntil;
        }
    }

    /// <summary>One attempt: POST the body with this attempt's timestamp and signature.</summary>
    private async ValueTask<Outcome<WebhookAttempt>> SendAsync(ResilienceContext context)
    {
        var delivery = DeliveryOf(context);
        var timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, _target.Url) { Content = new ByteArrayContent(delivery.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", "SessionGateway-Webhooks");
        request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, delivery.Webhook.WebhookId);
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_target.Key.Span, delivery.Webhook.WebhookId, timestamp, delivery.Body));
        try
        {
            // Only the status matters: the receiver's body is not read.
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.CancellationToken);
            return Outcome.FromResult(new WebhookAttempt((int)response.StatusCode));
        }
        catch (Exception exception)
        {
            // An outcome, not a throw: the retry and timeout strategies judge it (refused, reset, timed out, shutdown).
            return Outcome.FromException<WebhookAttempt>(exception);
        }
    }

    /// <summary>
    /// The retry strategy sees every attempt's outcome here, once: a failed one is counted (and its wait chosen), and
    /// retried in this process when that wait is short and still within RetryFor. Shutdown is not a failure.
    /// </summary>
    private bool ShouldRetryHere(ResilienceContext context, Outcome<WebhookAttempt> outcome)
    {
        if (outcome.Exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        if (outcome.Exception is null && outcome.Result.Delivered)
        {
            return false;
        }

        var delivery = DeliveryOf(context);
        var now = _timeProvider.GetUtcNow();
        delivery.Failed(now, Describe(outcome));
        var delay = WebhookSchedule.DelayAfter(delivery.Attempts);
        return delay <= WebhookSchedule.InProcessLimit && now + delay <= delivery.Deadline;
    }

    /// <summary>
    /// Before a wait in this process: the failed attempt is recorded in the outbox, with a next attempt time just after the
    /// retry's attempt would end (the lease), so the webhook stays this replica's meanwhile and a crash loses nothing.
    /// </summary>
    private async ValueTask RecordRetryAsync(ResilienceContext context, TimeSpan delay)
    {
        var delivery = DeliveryOf(context);
        _metrics.Failed();
        var next = delivery.LastFailureAt + delay;
        Log.AttemptFailed(_logger, delivery.Webhook.WebhookId, delivery.Type, delivery.Attempts, delivery.LastFailure, next);
        delivery.LeaseUntil = next + LeaseFor;
        try
        {
            await _store.RescheduleWebhookAsync(delivery.Webhook.WebhookId, delivery.Attempts, delivery.LeaseUntil, context.CancellationToken);
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            // The retry still happens; if this replica stops first, the lease ends and the webhook is taken again.
            LogOutage(exception);
        }
    }

    private static string Describe(Outcome<WebhookAttempt> outcome) => outcome.Exception switch
    {
        null => "HTTP " + outcome.Result.StatusCode,
        TimeoutRejectedException => "no answer within Session:Webhooks:Timeout",
        HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http => http.HttpRequestError.ToString(),
        var other => other.GetType().Name,
    };

    private void LogOutage(Exception exception)
    {
        // Deliveries fail together when the store does: one line a minute, whichever thread gets there.
        var now = _timeProvider.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastOutageLogTicks);
        if (now - last >= OutageLogInterval.Ticks && Interlocked.CompareExchange(ref _lastOutageLogTicks, now, last) == last)
        {
            Log.OutboxUnavailable(_logger, exception);
        }
    }

    private static Delivery DeliveryOf(ResilienceContext context) => context.Properties.GetValue(DeliveryKey, null!);

    /// <summary>One delivery's state across its attempts in this process.</summary>
    private sealed class Delivery(QueuedWebhook webhook, DateTimeOffset deadline)
    {
        public QueuedWebhook Webhook { get; } = webhook;

        /// <summary>The public event type (set before the first attempt).</summary>
        public string Type { get; set; } = "";

        /// <summary>The body every attempt sends (set before the first attempt).</summary>
        public byte[] Body { get; set; } = [];

        /// <summary>The event's time + RetryFor: no attempt is planned after it.</summary>
        public DateTimeOffset Deadline { get; } = deadline;

        /// <summary>Failed attempts so far, those of earlier deliveries (the outbox's count) included.</summary>
        public int Attempts { get; private set; } = webhook.Attempts;

        public DateTimeOffset LastFailureAt { get; private set; }

        public string LastFailure { get; private set; } = "";

        /// <summary>Until when the outbox keeps this webhook this replica's (taken, or not due before then).</summary>
        public DateTimeOffset LeaseUntil { get; set; }

        /// <summary>Counted in the sender's deliveries waiting for a send slot (from being taken until its first slot, and while a retry waits for one).</summary>
        public bool AwaitingSlot { get; set; }

        public void Failed(DateTimeOffset at, string reason)
        {
            Attempts++;
            LastFailureAt = at;
            LastFailure = reason;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2260, LogLevel.Information, "Webhook {WebhookId} ({Type}) delivered at attempt {Attempt}: HTTP {StatusCode}")]
        public static partial void Delivered(ILogger logger, string webhookId, string type, int attempt, int statusCode);

        [LoggerMessage(2261, LogLevel.Warning, "Webhook {WebhookId} ({Type}) attempt {Attempt} failed: {Reason}; next attempt at {NextAttemptAt:O}")]
        public static partial void AttemptFailed(ILogger logger, string webhookId, string type, int attempt, string reason, DateTimeOffset nextAttemptAt);

        [LoggerMessage(2262, LogLevel.Error,
            "Webhook {WebhookId} ({Type}, user {UserId}, session {SessionHandle}) dropped after {Attempts} failed attempts: Session:Webhooks:RetryFor ({RetryFor}) has passed since the event; last failure: {Reason}")]
        public static partial void Dropped(ILogger logger, string webhookId, string type, string userId, string sessionHandle, int attempts, TimeSpan retryFor, string reason);

        [LoggerMessage(2263, LogLevel.Warning, "The webhook outbox in the session store is unavailable; webhooks wait there and are sent when it answers (logged at most once a minute)")]
        public static partial void OutboxUnavailable(ILogger logger, Exception exception);

        [LoggerMessage(2264, LogLevel.Warning,
            "Session:Webhooks:SecretFile {Path} has mode {Mode}: group or other users can read the webhook secret, and with it sign webhooks your receiver accepts; run chmod 0400 (or 0600) on it")]
        public static partial void SecretFileExposed(ILogger logger, string path, string mode);

        [LoggerMessage(2265, LogLevel.Error, "Webhook {WebhookId} dropped: its event kind '{Kind}' has no event type in this version")]
        public static partial void UnknownKind(ILogger logger, string webhookId, string kind);
    }
}
