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
/// so replicas sharing the store do not send it at the same time; one that dies while sending releases it when the
/// lease ends. Retries go through a Polly retry strategy whose delays follow <see cref="WebhookSchedule"/>: the short
/// first waits are waited here, every failed attempt is recorded in the outbox (attempts and next attempt time) before
/// the wait, so a restart continues the schedule; longer waits are left to the outbox.
/// </para>
/// </summary>
internal sealed partial class WebhookSender : BackgroundService
{
    /// <summary>Webhooks delivered at the same time, at most.</summary>
    internal const int MaxConcurrent = 8;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Added to a lease beyond the attempt it covers: another replica's clock may be a little ahead, and an attempt ends a
    /// little after its timeout.
    /// </summary>
    internal static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(5);

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
        _pipeline = new ResiliencePipelineBuilder<WebhookAttempt> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<WebhookAttempt>
            {
                // Bounded by the schedule and RetryFor (ShouldHandle), not by a count.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetryHere(args.Context, args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(WebhookSchedule.DelayAfter(DeliveryOf(args.Context).Attempts)),
                OnRetry = args => RecordRetryAsync(args.Context, args.RetryDelay),
            })
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
        var free = MaxConcurrent - _inFlight.Count;
        if (free <= 0)
        {
            return started;
        }

        var now = _timeProvider.GetUtcNow();
        // The lease covers the first attempt; each retry extends it (RecordRetryAsync).
        var taken = await _store.TakeWebhooksAsync(now, now + _target.Timeout + LeaseMargin, free, cancellationToken);
        foreach (var webhook in taken)
        {
            if (!_inFlight.TryAdd(webhook.WebhookId, null))
            {
                continue;
            }

            var task = Task.Run(() => DeliverAndForgetAsync(webhook, cancellationToken), CancellationToken.None);
            _inFlight.TryUpdate(webhook.WebhookId, task, null);
            started.Add(task);
        }

        return started;
    }

    private async Task DeliverAndForgetAsync(QueuedWebhook webhook, CancellationToken cancellationToken)
    {
        try
        {
            await DeliverAsync(webhook, cancellationToken);
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
            _inFlight.TryRemove(webhook.WebhookId, out _);
        }
    }

    private async Task DeliverAsync(QueuedWebhook webhook, CancellationToken cancellationToken)
    {
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

        var delivery = new Delivery(webhook, type, body, auditEvent.OccurredAt + _target.RetryFor);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(DeliveryKey, delivery);
        Outcome<WebhookAttempt> outcome;
        try
        {
            outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (context, sender) => await sender.SendAsync(context),
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
    /// retry's attempt would end, so the webhook stays this replica's meanwhile and a crash loses nothing.
    /// </summary>
    private async ValueTask RecordRetryAsync(ResilienceContext context, TimeSpan delay)
    {
        var delivery = DeliveryOf(context);
        _metrics.Failed();
        var next = delivery.LastFailureAt + delay;
        Log.AttemptFailed(_logger, delivery.Webhook.WebhookId, delivery.Type, delivery.Attempts, delivery.LastFailure, next);
        try
        {
            await _store.RescheduleWebhookAsync(delivery.Webhook.WebhookId, delivery.Attempts, next + _target.Timeout + LeaseMargin, context.CancellationToken);
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
    private sealed class Delivery(QueuedWebhook webhook, string type, byte[] body, DateTimeOffset deadline)
    {
        public QueuedWebhook Webhook { get; } = webhook;

        public string Type { get; } = type;

        public byte[] Body { get; } = body;

        /// <summary>The event's time + RetryFor: no attempt is planned after it.</summary>
        public DateTimeOffset Deadline { get; } = deadline;

        /// <summary>Failed attempts so far, those of earlier deliveries (the outbox's count) included.</summary>
        public int Attempts { get; private set; } = webhook.Attempts;

        public DateTimeOffset LastFailureAt { get; private set; }

        public string LastFailure { get; private set; } = "";

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
