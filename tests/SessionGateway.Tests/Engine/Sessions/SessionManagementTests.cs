using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>
/// What the admin API, "your devices" and webhooks rely on from the engine: the clients seen, the audit trail with its
/// kinds and clients, owned revocation, and webhook ids for the configured event types. Runs against every backend.
/// </summary>
public abstract class SessionManagementTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly ClientInfo Laptop = new("203.0.113.7", "Mozilla/5.0 (laptop)");
    private static readonly ClientInfo Phone = new("198.51.100.9", "Mozilla/5.0 (phone)");
    private static readonly ClientInfo Thief = new("192.0.2.66", "curl/8.5");

    private protected abstract TestBackend Backend { get; }

    private Task<EngineHarness> StartAsync(SessionEngineOptions? options = null) => EngineHarness.StartAsync(options, backend: Backend);

    private static async Task<IssuedSession> SignInAsync(EngineHarness harness, string userId, ClientInfo? client) =>
        (await harness.Engine.CreateAsync(userId, null, false, client, Ct)).Value ?? throw new InvalidOperationException("the session store was unavailable");

    /// <summary>Everything queued in the outbox now (taken, so each webhook once).</summary>
    private static Task<IReadOnlyList<QueuedWebhook>> QueuedAsync(EngineHarness harness) =>
        harness.Store.TakeWebhooksAsync(harness.Time.GetUtcNow().AddDays(1), harness.Time.GetUtcNow().AddDays(2), 100, Ct);

    [SkippableFact]
    public async Task Create_AuditsTheSignInWithTheClient()
    {
        using var harness = await StartAsync();

        var issued = await SignInAsync(harness, "alice", Laptop);

        var created = Assert.Single((await harness.Engine.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct)).Value!);
        Assert.Equal(
            (SessionEventTypes.CreatedKind, "alice", issued.SessionHandle, EngineHarness.Start, Laptop),
            (created.Kind, created.UserId, created.SessionHandle, created.OccurredAt, created.Client));
        Assert.Equal(SessionEventTypes.Created, SessionEventTypes.TypeOf(created.Kind));
    }

    [SkippableFact]
    public async Task ListSessions_ShowsTheLoginClientAndTheLastRefreshClient()
    {
        using var harness = await StartAsync();
        var issued = await SignInAsync(harness, "alice", Laptop);

        var before = Assert.Single((await harness.Engine.ListSessionsAsync("alice", Ct)).Value!);
        Assert.Equal((Laptop, (ClientInfo?)null, (DateTimeOffset?)null), (before.CreatedBy, before.RefreshedBy, before.LastRefreshedAt));

        harness.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.True((await harness.Engine.RefreshAsync(issued.RefreshToken, Phone, Ct)).IsSuccess);

        var after = Assert.Single((await harness.Engine.ListSessionsAsync("alice", Ct)).Value!);
        Assert.Equal((issued.SessionHandle, Laptop, Phone), (after.SessionHandle, after.CreatedBy, after.RefreshedBy));
        Assert.Equal(harness.Time.GetUtcNow(), after.LastRefreshedAt);
        // A refresh is not an audit event: the trail holds the sign-in only.
        Assert.Single((await harness.Engine.ListEventsAsync(new EventQuery(EventCursor.Start, 10, UserId: "alice"), Ct)).Value!);
    }

    [SkippableFact]
    public async Task Theft_AuditEventCarriesTheThiefsClientAndTheTheftKind()
    {
        using var harness = await StartAsync();
        var issued = await SignInAsync(harness, "alice", Laptop);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var second = (await harness.Engine.RefreshAsync(issued.RefreshToken, Laptop, Ct)).Session!;
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await harness.Engine.RefreshAsync(second.RefreshToken, Laptop, Ct)).IsSuccess);
        harness.Time.Advance(TimeSpan.FromMinutes(1));

        var outcome = await harness.Engine.RefreshAsync(issued.RefreshToken, Thief, Ct);

        Assert.True(outcome.IsTheft);
        var theftKinds = SessionEventTypes.StoredKindsOf(SessionEventTypes.TheftDetected)!;
        var theft = Assert.Single((await harness.Engine.ListEventsAsync(new EventQuery(EventCursor.Start, 10, Kinds: theftKinds), Ct)).Value!);
        Assert.Equal((issued.SessionHandle, "alice", Thief), (theft.SessionHandle, theft.UserId, theft.Client));
        Assert.Equal(SessionEventTypes.TheftDetected, SessionEventTypes.TypeOf(theft.Kind));
        Assert.Equal("older_generation", SessionEventTypes.KindOf(theft.Kind));
    }

    [SkippableFact]
    public async Task RevokeOwned_AnotherUsersSession_IsRefusedAndTheirAccessTokenStaysValidOnEveryReplica()
    {
        using var harness = await StartAsync();
        var alice = await SignInAsync(harness, "alice", Laptop);

        var result = await harness.Engine.RevokeOwnedAsync("mallory", alice.SessionHandle, Thief, Ct);

        Assert.False(result.IsUnavailable);
        Assert.False(result.Value);
        Assert.True(harness.Engine.VerifyAccessToken(alice.AccessToken).IsValid);
        // No revocation row either: another replica (or this one after a restart) does not refuse it.
        using var replica = await EngineHarness.StartAsync(sharedDatabase: harness.Database, time: harness.Time);
        Assert.True(replica.Engine.VerifyAccessToken(alice.AccessToken).IsValid);
        Assert.True((await harness.Engine.RefreshAsync(alice.RefreshToken, Laptop, Ct)).IsSuccess);
        Assert.Equal([SessionEventTypes.CreatedKind], (await harness.Engine.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct)).Value!.Select(e => e.Kind));
    }

    [SkippableFact]
    public async Task RevokeOwned_OwnSession_EndsItAndAuditsTheUsersClient()
    {
        using var harness = await StartAsync();
        var laptop = await SignInAsync(harness, "alice", Laptop);
        var phone = await SignInAsync(harness, "alice", Phone);

        var result = await harness.Engine.RevokeOwnedAsync("alice", laptop.SessionHandle, Phone, Ct);

        Assert.True(result.Value);
        Assert.False(harness.Engine.VerifyAccessToken(laptop.AccessToken).IsValid);
        Assert.True(harness.Engine.VerifyAccessToken(phone.AccessToken).IsValid);
        Assert.Equal(phone.SessionHandle, Assert.Single((await harness.Engine.ListSessionsAsync("alice", Ct)).Value!).SessionHandle);
        var revoked = (await harness.Engine.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct)).Value![^1];
        Assert.Equal((SessionEventTypes.RevokedByUserKind, laptop.SessionHandle, Phone), (revoked.Kind, revoked.SessionHandle, revoked.Client));
        Assert.Equal("user", SessionEventTypes.KindOf(revoked.Kind));
    }

    [SkippableFact]
    public async Task Webhooks_AreQueuedOnlyForTheConfiguredEventTypes_EachUnderItsOwnId()
    {
        using var harness = await StartAsync(new SessionEngineOptions
        {
            WebhookEventTypes = new HashSet<string> { SessionEventTypes.TheftDetected, SessionEventTypes.SignedOut },
        });
        var signedOut = await SignInAsync(harness, "alice", Laptop);
        var stolen = await SignInAsync(harness, "bob", Phone);
        await harness.Engine.RevokeAsync(signedOut.SessionHandle, SessionEngine.SignedOutAuditKind, Laptop, Ct);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        await harness.Engine.RefreshAsync(stolen.RefreshToken, Phone, Ct);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await harness.Engine.RefreshAsync(stolen.RefreshToken, Thief, Ct)).IsTheft);

        var queued = await QueuedAsync(harness);

        // Not the two sign-ins (session.created is not configured): the sign-out and the theft.
        Assert.Equal(
            [SessionEventTypes.SignedOut, SessionEventTypes.TheftDetected],
            queued.Select(w => SessionEventTypes.TypeOf(w.Event.Kind)));
        Assert.All(queued, w => Assert.StartsWith("msg_", w.WebhookId, StringComparison.Ordinal));
        Assert.Equal(2, queued.Select(w => w.WebhookId).Distinct().Count());
        Assert.Equal(Thief, queued[1].Event.Client);
    }

    [SkippableFact]
    public async Task Webhooks_NoneConfigured_NothingIsQueued()
    {
        using var harness = await StartAsync();
        var issued = await SignInAsync(harness, "alice", Laptop);
        await harness.Engine.RevokeAsync(issued.SessionHandle, SessionEngine.RevokedAuditKind, null, Ct);

        Assert.Empty(await QueuedAsync(harness));
    }

    [SkippableFact]
    public async Task RevokeAll_QueuesOneWebhookPerSessionWithDistinctIds()
    {
        using var harness = await StartAsync(new SessionEngineOptions { WebhookEventTypes = new HashSet<string> { SessionEventTypes.Revoked } });
        var sessions = new List<IssuedSession>();
        for (var i = 0; i < 3; i++)
        {
            sessions.Add(await SignInAsync(harness, "alice", Laptop));
        }

        Assert.Equal(3, (await harness.Engine.RevokeAllForUserAsync("alice", Phone, Ct)).Value);

        var queued = await QueuedAsync(harness);
        Assert.Equal(3, queued.Select(w => w.WebhookId).Distinct().Count());
        Assert.Equal(sessions.Select(s => s.SessionHandle).Order(), queued.Select(w => w.Event.SessionHandle).Order());
        Assert.All(queued, w => Assert.Equal((SessionEventTypes.RevokedByAdminKind, Phone), (w.Event.Kind, w.Event.Client)));
        Assert.All(sessions, s => Assert.False(harness.Engine.VerifyAccessToken(s.AccessToken).IsValid));
    }

    [SkippableFact]
    public async Task IsLive_AsTheListSeesIt_ExpiredButNotSwept_IdleTimedOut_Revoked_OrUnknown_IsNot()
    {
        using var harness = await StartAsync(new SessionEngineOptions { RefreshTokenLifetime = TimeSpan.FromHours(2), IdleTimeout = TimeSpan.FromHours(1) });
        var first = await SignInAsync(harness, "alice", Laptop);
        harness.Time.Advance(TimeSpan.FromMinutes(50));
        var second = await SignInAsync(harness, "alice", Phone);
        var third = await SignInAsync(harness, "alice", Phone);

        Assert.True((await harness.Engine.IsLiveAsync(first.SessionHandle, Ct)).Value);
        harness.Time.Advance(TimeSpan.FromMinutes(15));

        // first: idle for 65 minutes; still in the store (nothing swept), not in the list, not live.
        Assert.NotNull(await harness.Store.FindAsync(first.SessionHandle, Ct));
        Assert.Equal(
            new[] { second.SessionHandle, third.SessionHandle }.Order(StringComparer.Ordinal),
            (await harness.Engine.ListSessionsAsync("alice", Ct)).Value!.Select(s => s.SessionHandle).Order(StringComparer.Ordinal));
        Assert.False((await harness.Engine.IsLiveAsync(first.SessionHandle, Ct)).Value);
        Assert.True((await harness.Engine.IsLiveAsync(second.SessionHandle, Ct)).Value);

        await harness.Engine.RevokeAsync(third.SessionHandle, SessionEngine.RevokedAuditKind, Ct);
        Assert.False((await harness.Engine.IsLiveAsync(third.SessionHandle, Ct)).Value);
        Assert.False((await harness.Engine.IsLiveAsync("no-such-handle", Ct)).Value);

        harness.Time.Advance(TimeSpan.FromHours(2));
        Assert.False((await harness.Engine.IsLiveAsync(second.SessionHandle, Ct)).Value);
    }

    [SkippableFact]
    public async Task ListEvents_PagesThroughTheTrailByType()
    {
        using var harness = await StartAsync();
        var handles = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            handles.Add((await SignInAsync(harness, "user-" + i, null)).SessionHandle);
            harness.Time.Advance(TimeSpan.FromMinutes(1));
        }

        await harness.Engine.RevokeAsync(handles[0], SessionEngine.SignedOutAuditKind, Ct);

        // session.created, two at a time, each page after the last cursor of the one before.
        var created = SessionEventTypes.StoredKindsOf(SessionEventTypes.Created);
        var pages = new List<IReadOnlyList<SessionAuditEvent>>();
        var after = EventCursor.Start;
        while ((await harness.Engine.ListEventsAsync(new EventQuery(after, 2, Kinds: created), Ct)).Value! is { Count: > 0 } page)
        {
            pages.Add(page);
            after = page[^1].Cursor;
        }

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(handles, pages.SelectMany(p => p).Select(e => e.SessionHandle));

        var since = await harness.Engine.ListEventsAsync(new EventQuery(EventCursor.Start, 10, Since: EngineHarness.Start.AddMinutes(3)), Ct);
        Assert.Equal([handles[3], handles[4], handles[0]], since.Value!.Select(e => e.SessionHandle));
    }
}
