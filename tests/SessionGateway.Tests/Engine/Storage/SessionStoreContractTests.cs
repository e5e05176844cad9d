using SessionGateway.Keys;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Storage;

/// <summary>
/// The behaviour every <see cref="ISessionStore"/> backend must have. A backend's test class derives from
/// this and only says how to create a fresh, empty store.
/// </summary>
public abstract class SessionStoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken Ct = CancellationToken.None;

    private ISessionStore _store = null!;

    private protected abstract Task<ISessionStore> CreateStoreAsync();

    private protected ISessionStore Store => _store;

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(Ct);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Creates a session with its "created" event at the session's creation time.</summary>
    private Task CreateAsync(SessionRecord session, ClientInfo? client = null, string? webhookId = null) =>
        Store.CreateAsync(session with { CreatedBy = client }, new AuditEntry("created", session.CreatedAt, client, webhookId), Ct);

    private static SessionRecord Session(string handle, string user = "user-1", DateTimeOffset? expires = null, string hash = "h0") =>
        new(handle, user, """{"role":"admin"}""", "csrf", hash, null, null, expires ?? Now.AddDays(30), Now);

    [SkippableFact]
    public async Task Ping_OnAnInitialisedStore_Completes()
    {
        await Store.PingAsync(Ct);
    }

    [SkippableFact]
    public async Task Initialize_CalledTwice_IsIdempotent()
    {
        await Store.InitializeAsync(Ct);
        await CreateAsync(Session("a"));
        await Store.InitializeAsync(Ct);

        Assert.NotNull(await Store.FindAsync("a", Ct));
    }

    [SkippableFact]
    public async Task Find_AfterCreate_ReturnsSameRecord()
    {
        var session = Session("a");
        await CreateAsync(session);

        Assert.Equal(session, await Store.FindAsync("a", Ct));
    }

    [SkippableFact]
    public async Task Find_UnknownHandle_ReturnsNull()
    {
        Assert.Null(await Store.FindAsync("missing", Ct));
    }

    [SkippableFact]
    public async Task TryRotate_WithCurrentHash_MovesCurrentToPreviousSlidesExpiryAndReturnsTheRow()
    {
        await CreateAsync(Session("a"));

        var rotated = await Store.TryRotateAsync("a", "h0", "h1", Now.AddMinutes(1), Now.AddDays(31), SessionLimits.None, null, Ct);

        var expected = Session("a") with { CurrentHash = "h1", PreviousHash = "h0", RotatedAt = Now.AddMinutes(1), ExpiresAt = Now.AddDays(31) };
        Assert.Equal(expected, rotated);
        Assert.Equal(expected, await Store.FindAsync("a", Ct));
    }

    [SkippableFact]
    public async Task TryRotate_WithStaleHash_ChangesNothing()
    {
        await CreateAsync(Session("a"));
        await Store.TryRotateAsync("a", "h0", "h1", Now, Now.AddDays(30), SessionLimits.None, null, Ct);

        var rotated = await Store.TryRotateAsync("a", "h0", "h-fork", Now, Now.AddDays(30), SessionLimits.None, null, Ct);

        Assert.Null(rotated);
        Assert.Equal("h1", (await Store.FindAsync("a", Ct))!.CurrentHash);
    }

    [SkippableFact]
    public async Task TryRotate_ManyConcurrentWithOneHash_ExactlyOneWins()
    {
        await CreateAsync(Session("a"));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => Store.TryRotateAsync("a", "h0", "h" + (i + 1), Now.AddSeconds(1), Now.AddDays(30), SessionLimits.None, null, Ct))));

        var winner = Assert.Single(attempts, a => a is not null)!;
        Assert.Equal(winner.CurrentHash, (await Store.FindAsync("a", Ct))!.CurrentHash);
        Assert.Equal("h0", winner.PreviousHash);
    }

    [SkippableFact]
    public async Task TryRotate_ExpiredSession_Fails()
    {
        await CreateAsync(Session("a", expires: Now));

        Assert.Null(await Store.TryRotateAsync("a", "h0", "h1", Now.AddSeconds(1), Now.AddDays(30), SessionLimits.None, null, Ct));
    }

    [SkippableFact]
    public async Task Revoke_ExistingSession_DeletesItRecordsRevocationAndAudit()
    {
        await CreateAsync(Session("a"));

        Assert.Equal("user-1", await Store.RevokeAsync("a", Now.AddMinutes(16), new AuditEntry("signed-out", Now), Ct));

        Assert.Null(await Store.FindAsync("a", Ct));
        Assert.Equal([new Revocation("a", Now.AddMinutes(16))], await Store.ListRevocationsAsync(Now, Ct));
        Assert.Equal(
            [("created", "a", Now), ("signed-out", "a", Now)],
            (await Store.ListAuditEventsAsync("user-1", Ct)).Select(e => (e.Kind, e.SessionHandle, e.OccurredAt)));
    }

    [SkippableFact]
    public async Task Revoke_UnknownSession_ReturnsNullButStillRecordsTheRevocation()
    {
        Assert.Null(await Store.RevokeAsync("gone", Now.AddMinutes(16), new AuditEntry("signed-out", Now), Ct));

        Assert.Equal([new Revocation("gone", Now.AddMinutes(16))], await Store.ListRevocationsAsync(Now, Ct));
    }

    [SkippableFact]
    public async Task RevokeAllForUser_DeletesOnlyThatUsersSessionsAndRevokesEach()
    {
        await CreateAsync(Session("a", "alice"));
        await CreateAsync(Session("b", "alice"));
        await CreateAsync(Session("c", "bob"));

        var handles = await Store.RevokeAllForUserAsync("alice", Now.AddMinutes(16), new AuditEntry("revoked", Now), null, Ct);

        Assert.Equal(["a", "b"], handles.Order());
        Assert.Empty(await Store.ListForUserAsync("alice", Ct));
        Assert.Single(await Store.ListForUserAsync("bob", Ct));
        Assert.Equal(["a", "b"], (await Store.ListRevocationsAsync(Now, Ct)).Select(r => r.SessionHandle).Order());
        Assert.Equal(["a", "b"], (await Store.ListAuditEventsAsync("alice", Ct)).Where(e => e.Kind == "revoked").Select(e => e.SessionHandle).Order());
    }

    [SkippableFact]
    public async Task Revocations_ExpiredOnes_AreNotListedAndAreSweptInBatches()
    {
        for (var i = 0; i < 7; i++)
        {
            await Store.RevokeAsync("old" + i, Now, new AuditEntry("revoked", Now.AddMinutes(-16)), Ct);
        }

        await Store.RevokeAsync("live", Now.AddSeconds(1), new AuditEntry("revoked", Now), Ct);

        Assert.Equal(["live"], (await Store.ListRevocationsAsync(Now, Ct)).Select(r => r.SessionHandle));
        Assert.Equal(5, await Store.DeleteExpiredRevocationsAsync(Now, 5, Ct));
        Assert.Equal(2, await Store.DeleteExpiredRevocationsAsync(Now, 5, Ct));
        Assert.Equal(0, await Store.DeleteExpiredRevocationsAsync(Now, 5, Ct));
        Assert.Single(await Store.ListRevocationsAsync(Now, Ct));
    }

    [SkippableFact]
    public async Task ListForUser_ReturnsOnlyThatUsersSessions()
    {
        await CreateAsync(Session("a", "alice"));
        await CreateAsync(Session("c", "bob"));

        var sessions = await Store.ListForUserAsync("alice", Ct);

        Assert.Equal("a", Assert.Single(sessions).Handle);
    }

    [SkippableFact]
    public async Task DeleteExpired_RespectsBatchSizeAndKeepsLiveSessions()
    {
        for (var i = 0; i < 7; i++)
        {
            await CreateAsync(Session("old" + i, expires: Now));
        }

        await CreateAsync(Session("live", expires: Now.AddSeconds(1)));

        Assert.Equal(5, await Store.DeleteExpiredAsync(Now, 5, Ct));
        Assert.Equal(2, await Store.DeleteExpiredAsync(Now, 5, Ct));
        Assert.Equal(0, await Store.DeleteExpiredAsync(Now, 5, Ct));
        Assert.NotNull(await Store.FindAsync("live", Ct));
    }

    private static StoredSigningKey Key(string kid, DateTimeOffset signsFrom, SigningAlgorithm algorithm = SigningAlgorithm.ES256) =>
        new(kid, algorithm, [1, 2, 3], Now, signsFrom, signsFrom.AddDays(7), signsFrom.AddDays(7).AddMinutes(16));

    [SkippableFact]
    public async Task TryAddSigningKey_SameSlotTwice_KeepsTheFirst()
    {
        Assert.True(await Store.TryAddSigningKeyAsync(Key("k1", Now), Now, Now, Ct));
        Assert.False(await Store.TryAddSigningKeyAsync(Key("k2", Now), Now, Now, Ct));
        Assert.True(await Store.TryAddSigningKeyAsync(Key("k3", Now, SigningAlgorithm.RS256), Now, Now, Ct));

        var keys = await Store.GetSigningKeysAsync(Ct);

        Assert.Equal(["k1", "k3"], keys.Select(k => k.KeyId).Order());
        Assert.Equal([1, 2, 3], keys[0].PrivateKey);
    }

    [SkippableFact]
    public async Task TryAddSigningKey_WhenAKeyAlreadySignsInTheGuardWindow_AddsNothing()
    {
        Assert.True(await Store.TryAddSigningKeyAsync(Key("current", Now), Now, Now, Ct));

        Assert.False(await Store.TryAddSigningKeyAsync(Key("earlier-slot", Now.AddHours(-1)), Now.AddSeconds(-1), Now.AddSeconds(1), Ct));
        Assert.True(await Store.TryAddSigningKeyAsync(Key("next", Now.AddDays(7)), Now.AddDays(7), Now.AddDays(7), Ct));

        Assert.Equal(["current", "next"], (await Store.GetSigningKeysAsync(Ct)).Select(k => k.KeyId).Order());
    }

    [SkippableFact]
    public async Task TryAddSigningKey_ReplicasAddingFirstKeysAtOnce_OnlyOneIsAdded()
    {
        // Different slots (their clocks straddle a boundary), the same guard: without serialisation both would land.
        var added = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Store.TryAddSigningKeyAsync(Key("k" + i, Now.AddMinutes(-i)), Now.AddSeconds(-1), Now.AddSeconds(1), Ct))));

        Assert.Single(added, a => a);
        Assert.Single(await Store.GetSigningKeysAsync(Ct));
    }

    [SkippableFact]
    public async Task DeleteRetiredSigningKeys_RemovesOnlyKeysPastVerifyUntil()
    {
        await Store.TryAddSigningKeyAsync(Key("old", Now.AddDays(-30)), Now.AddDays(-30), Now.AddDays(-30), Ct);
        await Store.TryAddSigningKeyAsync(Key("current", Now), Now, Now, Ct);

        Assert.Equal(1, await Store.DeleteRetiredSigningKeysAsync(Now, Ct));
        Assert.Equal("current", Assert.Single(await Store.GetSigningKeysAsync(Ct)).KeyId);
    }

    [SkippableFact]
    public async Task GetOrAddSecret_ManyReplicasAtOnce_AllGetOneValue()
    {
        var values = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.GetOrAddSecretAsync("race", [(byte)i], Ct))));

        Assert.Single(values.Select(v => v[0]).Distinct());
    }

    [SkippableFact]
    public async Task GetOrAddSecret_SecondCandidate_ReturnsFirstValue()
    {
        var first = await Store.GetOrAddSecretAsync("s", [1, 1, 1], Ct);
        var second = await Store.GetOrAddSecretAsync("s", [2, 2, 2], Ct);

        Assert.Equal([1, 1, 1], first);
        Assert.Equal([1, 1, 1], second);
    }

    // ---- Session management (issue 13): clients, owned revocation, the audit trail, the webhook outbox.

    private static readonly ClientInfo Laptop = new("203.0.113.7", "Mozilla/5.0 (laptop)");
    private static readonly ClientInfo Phone = new("198.51.100.9", "Mozilla/5.0 (phone)");

    /// <summary>Another store on the same database (another replica): its own connections.</summary>
    private async Task<ISessionStore> ReplicaAsync()
    {
        var replica = await CreateStoreAsync();
        await replica.InitializeAsync(Ct);
        return replica;
    }

    private static async Task DisposeStoreAsync(ISessionStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    [SkippableFact]
    public async Task Create_RecordsTheLoginClientAndTheCreatedEventWithIt_AndQueuesNothingWithoutWebhookId()
    {
        await CreateAsync(Session("a"), Laptop);

        Assert.Equal(Laptop, (await Store.FindAsync("a", Ct))!.CreatedBy);
        Assert.Null((await Store.FindAsync("a", Ct))!.RefreshedBy);
        var listed = Assert.Single(await Store.ListForUserAsync("user-1", Ct));
        Assert.Equal(Laptop, listed.CreatedBy);
        var created = Assert.Single(await Store.ListAuditEventsAsync("user-1", Ct));
        Assert.Equal(("created", "user-1", "a", Now, Laptop), (created.Kind, created.UserId, created.SessionHandle, created.OccurredAt, created.Client));
        Assert.True(created.Id > 0);
        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddDays(1), Now.AddDays(1).AddMinutes(1), 10, Ct));
    }

    [SkippableFact]
    public async Task Create_WithoutClient_ReadsBackNullClients()
    {
        await CreateAsync(Session("a"));

        var session = await Store.FindAsync("a", Ct);
        Assert.Null(session!.CreatedBy);
        Assert.Null(Assert.Single(await Store.ListAuditEventsAsync("user-1", Ct)).Client);
    }

    [SkippableFact]
    public async Task Create_WithWebhookId_QueuesTheCreatedEventDueAtItsTime()
    {
        await CreateAsync(Session("a"), Laptop, "msg_1");
        var created = Assert.Single(await Store.ListAuditEventsAsync("user-1", Ct));

        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddMilliseconds(-1), Now.AddMinutes(1), 10, Ct));
        var queued = Assert.Single(await Store.TakeWebhooksAsync(Now, Now.AddMinutes(1), 10, Ct));

        Assert.Equal("msg_1", queued.WebhookId);
        Assert.Equal(0, queued.Attempts);
        Assert.Equal(created, queued.Event);
        Assert.Equal(Laptop, queued.Event.Client);
    }

    [SkippableFact]
    public async Task Create_ThatFails_LeavesNeitherSessionNorEventNorOutboxRow()
    {
        // The session, its event and its outbox row are one transaction. A webhook id already queued makes the last of
        // the three writes fail, after the other two: neither may remain.
        await CreateAsync(Session("a"), Laptop, "msg_1");

        await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync(Session("b", "mallory"), Phone, "msg_1"));

        Assert.Null(await Store.FindAsync("b", Ct));
        Assert.Empty(await Store.ListForUserAsync("mallory", Ct));
        Assert.Empty(await Store.ListAuditEventsAsync("mallory", Ct));
        var queued = Assert.Single(await Store.TakeWebhooksAsync(Now, Now.AddMinutes(1), 10, Ct));
        Assert.Equal(("msg_1", "a"), (queued.WebhookId, queued.Event.SessionHandle));

        // The store is usable right after (no transaction left open).
        await CreateAsync(Session("c", "mallory"), Phone, "msg_2");
        Assert.Equal(["c"], (await Store.ListAuditEventsAsync("mallory", Ct)).Select(e => e.SessionHandle));
    }

    [SkippableFact]
    public async Task Create_DuplicateHandle_WritesNoEvent()
    {
        await CreateAsync(Session("a"));

        await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync(Session("a", "mallory"), Phone, "msg_2"));

        Assert.Empty(await Store.ListAuditEventsAsync("mallory", Ct));
        Assert.Empty(await Store.TakeWebhooksAsync(Now, Now.AddMinutes(1), 10, Ct));
        Assert.Equal("user-1", (await Store.FindAsync("a", Ct))!.UserId);
    }

    [SkippableFact]
    public async Task TryRotate_RecordsTheRefreshClient_AndKeepsTheLoginClient()
    {
        await CreateAsync(Session("a"), Laptop);

        var rotated = await Store.TryRotateAsync("a", "h0", "h1", Now.AddMinutes(1), Now.AddDays(31), SessionLimits.None, Phone, Ct);

        Assert.Equal(Phone, rotated!.RefreshedBy);
        var found = await Store.FindAsync("a", Ct);
        Assert.Equal((Laptop, Phone), (found!.CreatedBy, found.RefreshedBy));
        var listed = Assert.Single(await Store.ListForUserAsync("user-1", Ct));
        Assert.Equal((Laptop, Phone), (listed.CreatedBy, listed.RefreshedBy));

        // A refresh whose client is unknown says so rather than keeping the previous one.
        await Store.TryRotateAsync("a", "h1", "h2", Now.AddMinutes(2), Now.AddDays(31), SessionLimits.None, null, Ct);
        found = await Store.FindAsync("a", Ct);
        Assert.Equal((Laptop, (ClientInfo?)null), (found!.CreatedBy, found.RefreshedBy));
    }

    [SkippableFact]
    public async Task Revoke_WithClientAndWebhookId_EventCarriesTheClientAndIsQueued()
    {
        await CreateAsync(Session("a"));

        await Store.RevokeAsync("a", Now.AddMinutes(16), new AuditEntry("signed-out", Now.AddMinutes(1), Phone, "msg_out"), Ct);

        var signedOut = (await Store.ListAuditEventsAsync("user-1", Ct)).Single(e => e.Kind == "signed-out");
        Assert.Equal(Phone, signedOut.Client);
        var queued = Assert.Single(await Store.TakeWebhooksAsync(Now.AddMinutes(1), Now.AddMinutes(2), 10, Ct));
        Assert.Equal(("msg_out", signedOut), (queued.WebhookId, queued.Event));
    }

    [SkippableFact]
    public async Task Revoke_UnknownSessionWithWebhookId_QueuesNothing()
    {
        await Store.RevokeAsync("gone", Now.AddMinutes(16), new AuditEntry("signed-out", Now, Phone, "msg_out"), Ct);

        Assert.Empty(await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct));
        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddDays(1), Now.AddDays(2), 10, Ct));
    }

    [SkippableFact]
    public async Task RevokeOwned_OwnSession_RevokesAuditsAndQueues()
    {
        await CreateAsync(Session("a", "alice"));

        Assert.True(await Store.RevokeOwnedAsync("a", "alice", Now.AddMinutes(16), new AuditEntry("revoked-by-user", Now, Laptop, "msg_own"), Ct));

        Assert.Null(await Store.FindAsync("a", Ct));
        Assert.Equal([new Revocation("a", Now.AddMinutes(16))], await Store.ListRevocationsAsync(Now, Ct));
        var revoked = (await Store.ListAuditEventsAsync("alice", Ct)).Single(e => e.Kind == "revoked-by-user");
        Assert.Equal(("a", Laptop), (revoked.SessionHandle, revoked.Client));
        Assert.Equal("msg_own", Assert.Single(await Store.TakeWebhooksAsync(Now, Now.AddMinutes(1), 10, Ct)).WebhookId);
    }

    [SkippableFact]
    public async Task RevokeOwned_AnotherUsersSession_WritesNothingAtAll()
    {
        await CreateAsync(Session("a", "alice"));

        Assert.False(await Store.RevokeOwnedAsync("a", "mallory", Now.AddMinutes(16), new AuditEntry("revoked-by-user", Now, Phone, "msg_x"), Ct));

        // Alice's session lives on, and no revocation row refuses its access tokens on any replica.
        Assert.NotNull(await Store.FindAsync("a", Ct));
        Assert.Empty(await Store.ListRevocationsAsync(Now, Ct));
        Assert.Empty(await Store.ListAuditEventsAsync("mallory", Ct));
        Assert.Equal(["created"], (await Store.ListAuditEventsAsync("alice", Ct)).Select(e => e.Kind));
        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddDays(1), Now.AddDays(2), 10, Ct));
    }

    [SkippableFact]
    public async Task RevokeOwned_UnknownSession_WritesNothing()
    {
        Assert.False(await Store.RevokeOwnedAsync("gone", "alice", Now.AddMinutes(16), new AuditEntry("revoked-by-user", Now, Phone, "msg_x"), Ct));

        Assert.Empty(await Store.ListRevocationsAsync(Now, Ct));
        Assert.Empty(await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct));
    }

    [SkippableFact]
    public async Task RevokeAllForUser_WithWebhookIds_OneEventAndOneQueuedWebhookPerSession()
    {
        await CreateAsync(Session("a", "alice"));
        await CreateAsync(Session("b", "alice"));
        await CreateAsync(Session("c", "bob"));
        var next = 0;

        var handles = await Store.RevokeAllForUserAsync(
            "alice", Now.AddMinutes(16), new AuditEntry("revoked", Now.AddMinutes(1), Laptop, "ignored"), () => "msg_" + ++next, Ct);

        Assert.Equal(["a", "b"], handles.Order());
        var revoked = (await Store.ListAuditEventsAsync("alice", Ct)).Where(e => e.Kind == "revoked").ToList();
        Assert.Equal(["a", "b"], revoked.Select(e => e.SessionHandle).Order());
        Assert.All(revoked, e => Assert.Equal(Laptop, e.Client));
        var queued = await Store.TakeWebhooksAsync(Now.AddMinutes(1), Now.AddMinutes(2), 10, Ct);
        Assert.Equal(["msg_1", "msg_2"], queued.Select(w => w.WebhookId).Order());
        Assert.Equal(revoked.Select(e => e.Id).Order(), queued.Select(w => w.Event.Id).Order());
    }

    [SkippableFact]
    public async Task RevokeAllForUser_WithoutWebhookIdFactory_QueuesNothing()
    {
        await CreateAsync(Session("a", "alice"));
        await CreateAsync(Session("b", "alice"));

        await Store.RevokeAllForUserAsync("alice", Now.AddMinutes(16), new AuditEntry("revoked", Now), null, Ct);

        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddDays(1), Now.AddDays(2), 10, Ct));
    }

    [SkippableFact]
    public async Task ListEvents_PagesByCursorOldestFirst_WithSinceKindsAndUserFilters()
    {
        // alice: created a (t0), created b (t1), signed-out a (t2), theft b (t3); bob: created c (t1).
        await CreateAsync(Session("a", "alice") with { CreatedAt = Now }, Laptop);
        await CreateAsync(Session("b", "alice") with { CreatedAt = Now.AddMinutes(1) });
        await CreateAsync(Session("c", "bob") with { CreatedAt = Now.AddMinutes(1) });
        await Store.RevokeAsync("a", Now.AddMinutes(20), new AuditEntry("signed-out", Now.AddMinutes(2), Laptop), Ct);
        await Store.RevokeAsync("b", Now.AddMinutes(20), new AuditEntry("token-theft:OlderGeneration", Now.AddMinutes(3), Phone), Ct);

        var all = await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100), Ct);
        Assert.Equal(5, all.Count);
        Assert.Equal(all.Select(e => e.Id).Order(), all.Select(e => e.Id));
        Assert.Equal(5, all.Select(e => e.Id).Distinct().Count());
        Assert.Equal(Phone, all[^1].Client);

        // Pages of two, each after the last cursor of the one before, together the whole trail once.
        var paged = new List<SessionAuditEvent>();
        var after = EventCursor.Start;
        while (true)
        {
            var page = await Store.ListEventsAsync(new EventQuery(after, 2), Ct);
            Assert.True(page.Count <= 2);
            if (page.Count == 0)
            {
                break;
            }

            paged.AddRange(page);
            after = page[^1].Cursor;
        }

        Assert.Equal(all, paged);

        Assert.Equal(
            ["created:b", "created:c", "signed-out:a", "token-theft:OlderGeneration:b"],
            (await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100, Since: Now.AddMinutes(1)), Ct)).Select(e => e.Kind + ":" + e.SessionHandle));
        Assert.Equal(
            ["signed-out:a", "token-theft:OlderGeneration:b"],
            (await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100, Kinds: ["signed-out", "token-theft:OlderGeneration"]), Ct)).Select(e => e.Kind + ":" + e.SessionHandle));
        Assert.Equal(
            ["c"],
            (await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100, UserId: "bob"), Ct)).Select(e => e.SessionHandle));
        Assert.Equal(
            ["b"],
            (await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100, Since: Now.AddMinutes(1), Kinds: ["created"], UserId: "alice"), Ct)).Select(e => e.SessionHandle));
        Assert.Empty(await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100, Kinds: []), Ct));
        Assert.Empty(await Store.ListEventsAsync(new EventQuery(all[^1].Cursor, 100), Ct));

        // A bare id (a cursor from before positions): the events with a higher id.
        Assert.Equal(all.Skip(2), await Store.ListEventsAsync(new EventQuery(EventCursor.AfterId(all[1].Id), 100), Ct));
        Assert.Empty(await Store.ListEventsAsync(new EventQuery(EventCursor.AfterId(all[^1].Id), 100), Ct));

        // A filtered page continues after the cursor it was given, not after the filtered count.
        var filtered = await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 1, UserId: "alice"), Ct);
        var second = await Store.ListEventsAsync(new EventQuery(filtered[0].Cursor, 1, UserId: "alice"), Ct);
        Assert.Equal(["a", "b"], filtered.Concat(second).Select(e => e.SessionHandle));
    }

    [SkippableFact]
    public async Task DeleteEventsBefore_DeletesOldEventsInBatches_ButKeepsThoseWaitingInTheOutbox()
    {
        for (var i = 0; i < 7; i++)
        {
            await CreateAsync(Session("old" + i) with { CreatedAt = Now.AddDays(-100) });
        }

        await CreateAsync(Session("queued") with { CreatedAt = Now.AddDays(-100) }, webhookId: "msg_old");
        await CreateAsync(Session("recent") with { CreatedAt = Now.AddDays(-1) });
        await CreateAsync(Session("cutoff") with { CreatedAt = Now.AddDays(-90) });

        Assert.Equal(5, await Store.DeleteEventsBeforeAsync(Now.AddDays(-90), 5, Ct));
        Assert.Equal(2, await Store.DeleteEventsBeforeAsync(Now.AddDays(-90), 5, Ct));
        Assert.Equal(0, await Store.DeleteEventsBeforeAsync(Now.AddDays(-90), 5, Ct));
        Assert.Equal(["queued", "recent", "cutoff"], (await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100), Ct)).Select(e => e.SessionHandle));

        // Its webhook delivered, the event goes with the next sweep.
        await Store.CompleteWebhookAsync("msg_old", Ct);
        Assert.Equal(1, await Store.DeleteEventsBeforeAsync(Now.AddDays(-90), 5, Ct));
        Assert.Equal(["recent", "cutoff"], (await Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100), Ct)).Select(e => e.SessionHandle));
    }

    [SkippableFact]
    public async Task TakeWebhooks_OldestFirstUpToMax_NotAgainWhileTaken_AgainOnceTakenUntilPasses()
    {
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync(Session("s" + i), webhookId: "msg_" + i);
        }

        var first = await Store.TakeWebhooksAsync(Now, Now.AddSeconds(30), 3, Ct);
        Assert.Equal(["msg_0", "msg_1", "msg_2"], first.Select(w => w.WebhookId));
        Assert.Equal(["s0", "s1", "s2"], first.Select(w => w.Event.SessionHandle));

        var second = await Store.TakeWebhooksAsync(Now.AddSeconds(1), Now.AddSeconds(31), 10, Ct);
        Assert.Equal(["msg_3", "msg_4"], second.Select(w => w.WebhookId));
        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddSeconds(29), Now.AddSeconds(59), 10, Ct));

        // The replica that took the first three died: at their taken-until they are due again, for anyone.
        var again = await Store.TakeWebhooksAsync(Now.AddSeconds(30), Now.AddSeconds(60), 10, Ct);
        Assert.Equal(["msg_0", "msg_1", "msg_2"], again.Select(w => w.WebhookId));
        Assert.All(again, w => Assert.Equal(0, w.Attempts));
    }

    [SkippableFact]
    public async Task RescheduleWebhook_CountsTheAttempt_ReleasesIt_AndMakesItDueAtTheNewTime()
    {
        await CreateAsync(Session("a"), webhookId: "msg_a");
        Assert.Single(await Store.TakeWebhooksAsync(Now, Now.AddMinutes(5), 10, Ct));

        await Store.RescheduleWebhookAsync("msg_a", 1, Now.AddSeconds(5), Ct);

        // Released (no longer taken until Now + 5 min), but not due before its next attempt.
        Assert.Empty(await Store.TakeWebhooksAsync(Now.AddSeconds(4), Now.AddMinutes(1), 10, Ct));
        var retried = Assert.Single(await Store.TakeWebhooksAsync(Now.AddSeconds(5), Now.AddMinutes(1), 10, Ct));
        Assert.Equal(("msg_a", 1, "a"), (retried.WebhookId, retried.Attempts, retried.Event.SessionHandle));
    }

    [SkippableFact]
    public async Task CompleteWebhook_RemovesItForGood()
    {
        await CreateAsync(Session("a"), webhookId: "msg_a");
        await CreateAsync(Session("b"), webhookId: "msg_b");
        Assert.Equal(2, (await Store.TakeWebhooksAsync(Now, Now.AddSeconds(30), 10, Ct)).Count);

        await Store.CompleteWebhookAsync("msg_a", Ct);
        await Store.CompleteWebhookAsync("msg_unknown", Ct);

        Assert.Equal(["msg_b"], (await Store.TakeWebhooksAsync(Now.AddDays(1), Now.AddDays(2), 10, Ct)).Select(w => w.WebhookId));
        // The event stays in the trail.
        Assert.Equal(2, (await Store.ListAuditEventsAsync("user-1", Ct)).Count);
    }

    [SkippableFact]
    public async Task TakeWebhooks_ReplicasTakingAtOnce_NeverShareARow()
    {
        const int Count = 40;
        for (var i = 0; i < Count; i++)
        {
            await CreateAsync(Session("s" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)), webhookId: "msg_" + i);
        }

        var replicas = new List<ISessionStore> { Store };
        for (var i = 0; i < 3; i++)
        {
            replicas.Add(await ReplicaAsync());
        }

        try
        {
            // Every replica takes small batches, several at once each, until a round finds nothing left.
            var takes = await Task.WhenAll(replicas.SelectMany(replica => Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
            {
                var mine = new List<string>();
                while (await replica.TakeWebhooksAsync(Now, Now.AddMinutes(5), 3, Ct) is { Count: > 0 } batch)
                {
                    mine.AddRange(batch.Select(w => w.WebhookId));
                }

                return mine;
            }))));

            var taken = takes.SelectMany(t => t).ToList();
            Assert.Equal(Count, taken.Count);
            Assert.Equal(Count, taken.Distinct().Count());
        }
        finally
        {
            foreach (var replica in replicas.Skip(1))
            {
                await DisposeStoreAsync(replica);
            }
        }
    }
}
