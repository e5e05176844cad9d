using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Sessions;
using SessionGateway.Storage;
using SessionGateway.Tests.Engine;
using SessionGateway.Webhooks;

namespace SessionGateway.Tests.Webhooks;

/// <summary>
/// The sender against a real SQLite store (its outbox) and an in-memory receiver, on a fake clock: the retry schedule,
/// the record of every failed attempt in the outbox, the drop after RetryFor, the signature as a receiver checks it.
/// </summary>
public sealed class WebhookSenderTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(7);
    private static readonly Uri ReceiverUrl = new("http://127.0.0.1:9/hooks");
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RecordingLogger<WebhookSender> _logger = new();
    private readonly Dictionary<string, long> _counted = [];
    private readonly MeterListener _listener = new();
    private EngineHarness _harness = null!;
    private TimerWatchingClock _clock = null!;
    private ScriptedReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        var fake = new FakeTimeProvider(EngineHarness.Start);
        _harness = await EngineHarness.StartAsync(time: fake);
        _clock = new TimerWatchingClock(fake);
        _receiver = new ScriptedReceiver(_clock);
        var factory = _meters.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "sessiongateway.webhooks.deliveries")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                lock (_counted)
                {
                    _counted[(string)tag.Value!] = _counted.GetValueOrDefault((string)tag.Value!) + value;
                }
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _receiver?.Dispose();
    }

    public Task DisposeAsync()
    {
        _harness.Dispose();
        return _meters.DisposeAsync().AsTask();
    }

    [Fact]
    public async Task FailingReceiver_RetriedAfter1s5s15sInProcess_EachFailureRecorded_ThenThe30sWaitIsTheOutboxs_AndANewSenderContinues()
    {
        var occurredAt = _clock.GetUtcNow();
        await QueueTheftAsync("msg_schedule", occurredAt);
        _receiver.Answer = _ => Task.FromResult(HttpStatusCode.ServiceUnavailable);

        var sender = NewSender(TimeSpan.FromHours(24));
        var run = sender.DeliverDueAsync(CancellationToken.None);
        var waits = new List<TimeSpan>();
        while (waits.Count < 3)
        {
            var due = await _clock.NextTimerAsync();
            if (due == AttemptTimeout)
            {
                continue; // The per-attempt timeout of the attempt under way.
            }

            waits.Add(due);
            _clock.Inner.Advance(due);
        }

        Assert.Equal(1, await run);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)], waits);
        var attempts = _receiver.Received.ToList();
        Assert.Equal([0d, 1, 6, 21], attempts.Select(a => (a.At - occurredAt).TotalSeconds));
        Assert.All(attempts, a => Assert.Equal("msg_schedule", a.Headers["webhook-id"]));
        Assert.Equal(4, Counted("failed"));

        // The 4th failure's 30 s wait is the outbox's: not due a moment before, due then, with the 4 attempts recorded.
        var lastFailure = occurredAt + TimeSpan.FromSeconds(21);
        Assert.Empty(await _harness.Store.TakeWebhooksAsync(lastFailure + TimeSpan.FromSeconds(29.9), lastFailure + TimeSpan.FromSeconds(29.9), 10, CancellationToken.None));
        _clock.Inner.SetUtcNow(lastFailure + TimeSpan.FromSeconds(30));

        // A sender of a new process (a restart) continues the schedule: its first failure waits the 5th delay (1 min).
        var restarted = NewSender(TimeSpan.FromHours(24));
        Assert.Equal(1, await restarted.DeliverDueAsync(CancellationToken.None));
        Assert.Equal(5, _receiver.Received.Count);
        Assert.Empty(await _harness.Store.TakeWebhooksAsync(_clock.GetUtcNow() + TimeSpan.FromSeconds(59), _clock.GetUtcNow() + TimeSpan.FromSeconds(59), 10, CancellationToken.None));
        var queued = Assert.Single(await _harness.Store.TakeWebhooksAsync(_clock.GetUtcNow() + TimeSpan.FromMinutes(1), _clock.GetUtcNow() + TimeSpan.FromMinutes(1), 10, CancellationToken.None));
        Assert.Equal(("msg_schedule", 5), (queued.WebhookId, queued.Attempts));
        Assert.Contains(_logger.Entries, e => e.EventId == 2261 && e.Message.Contains("msg_schedule", StringComparison.Ordinal) && e.Message.Contains("HTTP 503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReceiverBackAfterTwoFailures_DeliveredAtTheThirdAttempt_OutboxEmpty_SameIdEveryAttempt()
    {
        await QueueTheftAsync("msg_third", _clock.GetUtcNow());
        _receiver.Answer = n => Task.FromResult(n < 2 ? HttpStatusCode.InternalServerError : HttpStatusCode.NoContent);

        var sender = NewSender(TimeSpan.FromHours(24));
        var run = sender.DeliverDueAsync(CancellationToken.None);
        for (var advanced = 0; advanced < 2;)
        {
            var due = await _clock.NextTimerAsync();
            if (due != AttemptTimeout)
            {
                _clock.Inner.Advance(due);
                advanced++;
            }
        }

        await run;
        Assert.Equal(3, _receiver.Received.Count);
        Assert.Single(_receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct());
        Assert.Equal((2, 1), (Counted("failed"), Counted("delivered")));
        Assert.Empty(await _harness.Store.TakeWebhooksAsync(_clock.GetUtcNow() + TimeSpan.FromDays(400), _clock.GetUtcNow() + TimeSpan.FromDays(400), 10, CancellationToken.None));
        Assert.Contains(_logger.Entries, e => e.EventId == 2260 && e.Message.Contains("msg_third", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PastRetryFor_AFailedAttemptDropsTheWebhook_ErrorLogWithIdUserHandleAndType_DroppedMetric_NoSecret()
    {
        var occurredAt = _clock.GetUtcNow();
        var handle = await QueueTheftAsync("msg_drop", occurredAt);
        _clock.Inner.Advance(TimeSpan.FromMinutes(2));
        _receiver.Answer = _ => Task.FromResult(HttpStatusCode.BadGateway);

        Assert.Equal(1, await NewSender(TimeSpan.FromMinutes(1)).DeliverDueAsync(CancellationToken.None));

        Assert.Single(_receiver.Received);
        Assert.Equal((1, 0), (Counted("dropped"), Counted("failed")));
        var line = Assert.Single(_logger.Entries, e => e.EventId == 2262);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Contains("msg_drop", line.Message, StringComparison.Ordinal);
        Assert.Contains("mia", line.Message, StringComparison.Ordinal);
        Assert.Contains(handle, line.Message, StringComparison.Ordinal);
        Assert.Contains(SessionEventTypes.TheftDetected, line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logger.Entries, e => e.Message.Contains(Convert.ToBase64String(_key), StringComparison.Ordinal));
        Assert.Empty(await _harness.Store.TakeWebhooksAsync(_clock.GetUtcNow() + TimeSpan.FromDays(400), _clock.GetUtcNow() + TimeSpan.FromDays(400), 10, CancellationToken.None));
    }

    [Fact]
    public async Task WithinRetryFor_NoRetryIsPlannedPastIt_TheLastAttemptBeforeItFailing_Drops()
    {
        var occurredAt = _clock.GetUtcNow();
        await QueueTheftAsync("msg_edge", occurredAt);
        // 9 failures recorded: the next wait would be 1 h, beyond RetryFor (1 h) from the event.
        await _harness.Store.RescheduleWebhookAsync("msg_edge", 9, occurredAt + TimeSpan.FromMinutes(20), CancellationToken.None);
        _clock.Inner.Advance(TimeSpan.FromMinutes(20));
        _receiver.Answer = _ => Task.FromResult(HttpStatusCode.BadRequest);

        await NewSender(TimeSpan.FromHours(1)).DeliverDueAsync(CancellationToken.None);

        Assert.Single(_receiver.Received);
        Assert.Equal(1, Counted("dropped"));
    }

    [Fact]
    public async Task Delivery_IsAStandardWebhook_ASignatureAReceiverComputesItselfMatches_BodyHasTheEvent()
    {
        var occurredAt = _clock.GetUtcNow();
        var handle = await QueueTheftAsync("msg_sig", occurredAt);
        _clock.Inner.Advance(TimeSpan.FromSeconds(3));

        await NewSender(TimeSpan.FromHours(24)).DeliverDueAsync(CancellationToken.None);

        var received = Assert.Single(_receiver.Received);
        Assert.Equal(HttpMethod.Post, received.Method);
        Assert.Equal(ReceiverUrl, received.Url);
        Assert.StartsWith("application/json", received.Headers["content-type"], StringComparison.Ordinal);
        Assert.Equal("msg_sig", received.Headers["webhook-id"]);
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), received.Headers["webhook-timestamp"]);

        // As the specification tells a receiver: HMAC-SHA256 with the base64-decoded secret over "id.timestamp.body".
        var secret = "whsec_" + Convert.ToBase64String(_key);
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..]));
        var signed = Encoding.UTF8.GetBytes($"{received.Headers["webhook-id"]}.{received.Headers["webhook-timestamp"]}.{Encoding.UTF8.GetString(received.Body)}");
        var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(signed));
        Assert.Contains(expected, received.Headers["webhook-signature"].Split(' '));

        using var json = JsonDocument.Parse(received.Body);
        var root = json.RootElement;
        Assert.Equal("session.theft_detected", root.GetProperty("type").GetString());
        Assert.Equal(occurredAt, root.GetProperty("timestamp").GetDateTimeOffset());
        var data = root.GetProperty("data");
        Assert.Equal("mia", data.GetProperty("userId").GetString());
        Assert.Equal(handle, data.GetProperty("sessionHandle").GetString());
        Assert.Equal("older_generation", data.GetProperty("kind").GetString());
        Assert.Equal("203.0.113.7", data.GetProperty("clientAddress").GetString());
        Assert.Equal("ThiefAgent/1.0", data.GetProperty("userAgent").GetString());
    }

    [Fact]
    public async Task Shutdown_DuringAnAttempt_IsNoFailedAttempt_TheWebhookIsDueAgainAtOnce()
    {
        await QueueTheftAsync("msg_stop", _clock.GetUtcNow());
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Answer = _ =>
        {
            arrived.TrySetResult();
            return new TaskCompletionSource<HttpStatusCode>().Task; // Never answers.
        };
        using var stopping = new CancellationTokenSource();

        var run = NewSender(TimeSpan.FromHours(24)).DeliverDueAsync(stopping.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stopping.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, Counted("failed"));
        var queued = Assert.Single(await _harness.Store.TakeWebhooksAsync(_clock.GetUtcNow(), _clock.GetUtcNow() + TimeSpan.FromMinutes(1), 10, CancellationToken.None));
        Assert.Equal(("msg_stop", 0), (queued.WebhookId, queued.Attempts));
    }

    [Fact]
    public async Task TakenByOneSender_AnotherSenderOnTheSameStoreDoesNotSendIt()
    {
        await QueueTheftAsync("msg_lease", _clock.GetUtcNow());
        var release = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Answer = _ =>
        {
            arrived.TrySetResult();
            return release.Task;
        };

        var first = NewSender(TimeSpan.FromHours(24)).DeliverDueAsync(CancellationToken.None);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await NewSender(TimeSpan.FromHours(24)).DeliverDueAsync(CancellationToken.None));
        release.SetResult(HttpStatusCode.OK);
        Assert.Equal(1, await first);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task StoreOutage_TheSenderKeepsRunning_LogsOnceAMinute_DeliversWhenTheStoreAnswersAgain()
    {
        var store = new OutboxOutageStore(_harness.Store) { Down = true };
        var signal = new WebhookSignal();
        using var sender = new WebhookSender(store, signal, new WebhookTarget(ReceiverUrl, _key, AttemptTimeout, TimeSpan.FromHours(24)), _receiver, new WebhookMetrics(_meters.GetRequiredService<IMeterFactory>()), _clock, _logger);
        await sender.StartAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await store.NextTakeAsync();
            signal.Notify();
        }

        Assert.Single(_logger.Entries, e => e.EventId == 2263);
        _clock.Inner.Advance(TimeSpan.FromMinutes(1));
        await store.NextTakeAsync();
        signal.Notify();
        await store.NextTakeAsync();
        Assert.Equal(2, _logger.Entries.Count(e => e.EventId == 2263));

        await QueueTheftAsync("msg_after_outage", _clock.GetUtcNow());
        store.Down = false;
        while (_receiver.Received.IsEmpty)
        {
            signal.Notify();
            await store.NextTakeAsync();
        }

        await sender.StopAsync(CancellationToken.None);
        Assert.Equal("msg_after_outage", Assert.Single(_receiver.Received).Headers["webhook-id"]);
        Assert.False(sender.ExecuteTask!.IsFaulted);
    }

    /// <summary>
    /// A receiver that fails at once, and 30 webhooks queued: every one gets its first attempt before any gets its second
    /// (retries waiting their 1 s hold no send slot), and a theft webhook queued while they wait gets its first attempt
    /// at once, not after their retries. The clock stands still until all 31 wait their 1 s: every first attempt is at
    /// the time of the events, every second one 1 s later.
    /// </summary>
    [Fact]
    public async Task FailingReceiver_30Queued_AllGetTheirFirstAttemptBeforeAnyASecond_AndALaterTheftIsSentWithoutWaitingForTheirRetries()
    {
        var start = _clock.GetUtcNow();
        var queued = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            queued.Add($"msg_created_{i:D2}");
            await QueueCreatedAsync(queued[^1], start);
        }

        _receiver.Answer = _ => Task.FromResult(HttpStatusCode.ServiceUnavailable);
        var signal = new WebhookSignal();
        using var sender = new WebhookSender(_harness.Store, signal, new WebhookTarget(ReceiverUrl, _key, AttemptTimeout, TimeSpan.FromHours(24)), _receiver, new WebhookMetrics(_meters.GetRequiredService<IMeterFactory>()), _clock, _logger);
        await sender.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(await _receiver.ArrivedAsync(30), $"first attempts before the clock moved: {_receiver.Received.Count} of 30");
            Assert.Equal(queued.Order(), _receiver.Received.Select(r => r.Headers["webhook-id"]).Order());
            Assert.All(_receiver.Received, r => Assert.Equal(start, r.At));

            await QueueTheftAsync("msg_theft_later", start);
            signal.Notify();
            Assert.True(await _receiver.ArrivedAsync(31), "the theft webhook's first attempt, while 30 retries wait");
            Assert.Equal("msg_theft_later", _receiver.Received.Last().Headers["webhook-id"]);
            Assert.Equal(start, _receiver.Received.Last().At);

            // All 31 wait their 1 s (Polly's retry delay, in hand): then each gets its second attempt, none a third.
            for (var waiting = 0; waiting < 31;)
            {
                if (await _clock.NextTimerAsync() == TimeSpan.FromSeconds(1))
                {
                    waiting++;
                }
            }

            _clock.Inner.Advance(TimeSpan.FromSeconds(1));
            Assert.True(await _receiver.ArrivedAsync(62), $"second attempts: {_receiver.Received.Count - 31} of 31");
            var second = _receiver.Received.Skip(31).ToList();
            Assert.Equal(queued.Append("msg_theft_later").Order(), second.Select(r => r.Headers["webhook-id"]).Order());
            Assert.All(second, r => Assert.Equal(start + TimeSpan.FromSeconds(1), r.At));
            Assert.InRange(_receiver.MaxInFlight, 1, WebhookSender.MaxSending);
        }
        finally
        {
            await sender.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A receiver that does not answer, and 9 webhooks: 8 requests at a time, the 9th waits for a send slot. Its wait
    /// does not count against its attempt's timeout (sent when a slot frees, 60 s later), and it stays leased while it
    /// waits: past the lease it was taken with, another replica's look at the outbox does not get it.
    /// </summary>
    [Fact]
    public async Task SilentReceiver_AtMost8RequestsAtOnce_TheNinthWaitsForASlot_StaysLeased_AndIsSentWhenOneFrees()
    {
        var start = _clock.GetUtcNow();
        for (var i = 0; i < 9; i++)
        {
            await QueueCreatedAsync($"msg_slow_{i}", start);
        }

        var timeout = TimeSpan.FromSeconds(60);
        _receiver.Answer = _ => new TaskCompletionSource<HttpStatusCode>().Task; // Never answers.
        var signal = new WebhookSignal();
        using var sender = new WebhookSender(_harness.Store, signal, new WebhookTarget(ReceiverUrl, _key, timeout, TimeSpan.FromHours(24)), _receiver, new WebhookMetrics(_meters.GetRequiredService<IMeterFactory>()), _clock, _logger);
        await sender.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(await _receiver.ArrivedAsync(8));
            var lease = timeout + WebhookSender.LeaseMargin + WebhookSender.SlotWaitAllowance;
            // The 9th waits for a slot, with a timer to extend its lease before it runs out.
            while (await _clock.NextTimerAsync() != lease - WebhookSender.LeaseMargin)
            {
            }

            Assert.Equal(8, _receiver.Received.Count);
            _clock.Inner.Advance(timeout);
            Assert.True(await _receiver.ArrivedAsync(9), "the 9th, when the 8 timed out");
            var ninth = _receiver.Received.Skip(8).First();
            Assert.Equal(start + timeout, ninth.At);
            Assert.DoesNotContain(_receiver.Received.Take(8), r => r.Headers["webhook-id"] == ninth.Headers["webhook-id"]);
            Assert.Equal(WebhookSender.MaxSending, _receiver.MaxInFlight);

            // Its lease was taken until start + lease; it is sending now, so another replica must not take it after that.
            var later = start + lease + TimeSpan.FromSeconds(1);
            var taken = await _harness.Store.TakeWebhooksAsync(later, later + TimeSpan.FromMinutes(1), 10, CancellationToken.None);
            Assert.DoesNotContain(taken, w => w.WebhookId == ninth.Headers["webhook-id"]);
        }
        finally
        {
            await sender.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A receiver that does not answer, and 100 webhooks due: the sender keeps 8 sending and at most a batch (32) waiting
    /// for a slot, not all it has room for, so another replica's look at the outbox still finds the other 60 to send.
    /// </summary>
    [Fact]
    public async Task SilentReceiver_100Due_TheSenderTakesNoMoreThanItsSlotsAndOneBatch_TheRestStaysForOtherReplicas()
    {
        var start = _clock.GetUtcNow();
        for (var i = 0; i < 100; i++)
        {
            await QueueCreatedAsync($"msg_many_{i:D3}", start);
        }

        _receiver.Answer = _ => new TaskCompletionSource<HttpStatusCode>().Task; // Never answers.
        var store = new OutboxOutageStore(_harness.Store);
        var signal = new WebhookSignal();
        using var sender = new WebhookSender(store, signal, new WebhookTarget(ReceiverUrl, _key, TimeSpan.FromSeconds(60), TimeSpan.FromHours(24)), _receiver, new WebhookMetrics(_meters.GetRequiredService<IMeterFactory>()), _clock, _logger);
        await sender.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(await _receiver.ArrivedAsync(8));
            // With 8 sending, the sender takes more until a batch waits for a slot (each look takes what is missing).
            while (store.Taken < WebhookSender.MaxSending + WebhookSender.TakeBatch)
            {
                signal.Notify();
                await store.NextTakeAsync();
            }

            signal.Notify();
            var other = await _harness.Store.TakeWebhooksAsync(start, start + TimeSpan.FromMinutes(1), 100, CancellationToken.None);
            Assert.Equal(100 - WebhookSender.MaxSending - WebhookSender.TakeBatch, other.Count);
            Assert.Equal(WebhookSender.MaxSending, _receiver.Received.Count);
        }
        finally
        {
            await sender.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Through the engine: only the listed types are queued. With <c>session.revoked</c> alone, a login queues nothing and
    /// revoking a user's two sessions queues two webhooks, each under its own id, delivered with kind <c>admin</c>.
    /// </summary>
    [Fact]
    public async Task EngineQueuesOnlyListedTypes_RevokeAllOfTwoSessions_TwoRevokedWebhooks_DistinctIds()
    {
        using var harness = await EngineHarness.StartAsync(
            new SessionEngineOptions { WebhookEventTypes = new HashSet<string> { SessionEventTypes.Revoked } },
            time: _clock.Inner);
        var client = ClientInfo.Of("198.51.100.4", "AdminTool/2");
        Assert.NotNull((await harness.Engine.CreateAsync("ana", null, false, client, CancellationToken.None)).Value);
        Assert.NotNull((await harness.Engine.CreateAsync("ana", null, false, client, CancellationToken.None)).Value);
        Assert.Equal(2, (await harness.Engine.RevokeAllForUserAsync("ana", client, CancellationToken.None)).Value);

        var sender = new WebhookSender(harness.Store, new WebhookSignal(), new WebhookTarget(ReceiverUrl, _key, AttemptTimeout, TimeSpan.FromHours(24)), _receiver, new WebhookMetrics(_meters.GetRequiredService<IMeterFactory>()), _clock, _logger);
        Assert.Equal(2, await sender.DeliverDueAsync(CancellationToken.None));

        var received = _receiver.Received.ToList();
        Assert.Equal(2, received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
        Assert.All(received, r =>
        {
            using var json = JsonDocument.Parse(r.Body);
            Assert.Equal("session.revoked", json.RootElement.GetProperty("type").GetString());
            Assert.Equal("admin", json.RootElement.GetProperty("data").GetProperty("kind").GetString());
            Assert.Equal("ana", json.RootElement.GetProperty("data").GetProperty("userId").GetString());
            Assert.Equal("198.51.100.4", json.RootElement.GetProperty("data").GetProperty("clientAddress").GetString());
        });
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, true)]
    [InlineData(HttpStatusCode.Accepted, true)]
    [InlineData(HttpStatusCode.NoContent, true)]
    [InlineData(HttpStatusCode.Found, false)]
    [InlineData(HttpStatusCode.TemporaryRedirect, false)]
    [InlineData(HttpStatusCode.NotModified, false)]
    [InlineData(HttpStatusCode.Gone, false)]
    public async Task Only2xxIsADelivery_RedirectsAreNotFollowed(HttpStatusCode status, bool delivered)
    {
        await QueueTheftAsync("msg_status", _clock.GetUtcNow());
        // Past RetryFor, so one attempt decides: delivered, or dropped.
        _clock.Inner.Advance(TimeSpan.FromMinutes(2));
        _receiver.Answer = _ => Task.FromResult(status);

        await NewSender(TimeSpan.FromMinutes(1)).DeliverDueAsync(CancellationToken.None);

        Assert.Single(_receiver.Received);
        Assert.Equal(delivered ? (1, 0) : (0, 1), (Counted("delivered"), Counted("dropped")));
        using var handler = WebhookSender.CreateHandler(TimeSpan.FromSeconds(5));
        Assert.False(handler.AllowAutoRedirect);
    }

    private WebhookSender NewSender(TimeSpan retryFor) => new(
        _harness.Store,
        new WebhookSignal(),
        new WebhookTarget(ReceiverUrl, _key, AttemptTimeout, retryFor),
        _receiver,
        new WebhookMetrics(_meters.GetRequiredService<IMeterFactory>()),
        _clock,
        _logger);

    private long Counted(string outcome)
    {
        lock (_counted)
        {
            return _counted.GetValueOrDefault(outcome);
        }
    }

    /// <summary>A session of leo's created at <paramref name="at"/>, its <c>session.created</c> webhook queued as <paramref name="webhookId"/>.</summary>
    private async Task QueueCreatedAsync(string webhookId, DateTimeOffset at)
    {
        var handle = "h" + Guid.NewGuid().ToString("N");
        await _harness.Store.CreateAsync(
            new SessionRecord(handle, "leo", "{}", null, "current", null, null, at + TimeSpan.FromDays(30), at),
            new AuditEntry(SessionEventTypes.CreatedKind, at, ClientInfo.Of("198.51.100.9", "Browser/1.0"), webhookId),
            CancellationToken.None);
    }

    /// <summary>A session of mia's revoked for theft at <paramref name="at"/>, its webhook queued as <paramref name="webhookId"/>; returns the handle.</summary>
    private async Task<string> QueueTheftAsync(string webhookId, DateTimeOffset at)
    {
        var handle = "h" + Guid.NewGuid().ToString("N");
        var client = ClientInfo.Of("203.0.113.7", "ThiefAgent/1.0");
        await _harness.Store.CreateAsync(
            new SessionRecord(handle, "mia", "{}", null, "current", null, null, at + TimeSpan.FromDays(30), at),
            new AuditEntry(SessionEventTypes.CreatedKind, at),
            CancellationToken.None);
        await _harness.Store.RevokeAsync(handle, at + TimeSpan.FromHours(1), new AuditEntry(SessionEventTypes.TheftKindOf(TheftKind.OlderGeneration), at, client, webhookId), CancellationToken.None);
        return handle;
    }
}
