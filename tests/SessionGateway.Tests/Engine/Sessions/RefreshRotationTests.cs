using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>Runs against every backend: one subclass per <see cref="TestBackend"/>.</summary>
public abstract class RefreshRotationTests
{
    private protected abstract TestBackend Backend { get; }

    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>A user's audit events after sign-in: every session starts with a "created" event, these tests judge what ended it.</summary>
    private static async Task<List<SessionGateway.Storage.SessionAuditEvent>> EndEventsAsync(SessionGateway.Storage.ISessionStore store, string userId) =>
        (await store.ListAuditEventsAsync(userId, Ct)).Where(e => e.Kind != SessionEventTypes.CreatedKind).ToList();

    public enum Scenario
    {
        ReuseFirstAfterGrace,
        RefreshTwiceThenReuseFirst,
        ReuseFirstWithinGrace,
        ExpiredSession,
        RevokedSession,
    }

    [SkippableTheory]
    // Engine types are internal, so the table names them as text.
    [InlineData(Scenario.ReuseFirstAfterGrace, "Theft", "PreviousAfterGrace", false)]
    [InlineData(Scenario.RefreshTwiceThenReuseFirst, "Theft", "OlderGeneration", false)]
    [InlineData(Scenario.ReuseFirstWithinGrace, "Success", null, true)]
    [InlineData(Scenario.ExpiredSession, "Unauthorised", null, false)]
    [InlineData(Scenario.RevokedSession, "Unauthorised", null, false)]
    public async Task Refresh_Scenario_GivesExpectedOutcome(Scenario scenario, string expectedKind, string? expectedTheft, bool sessionAlive)
    {
        var expected = Enum.Parse<RefreshOutcomeKind>(expectedKind);
        TheftKind? theftKind = expectedTheft is null ? null : Enum.Parse<TheftKind>(expectedTheft);
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var engine = harness.Engine;
        var created = await engine.CreateLiveAsync("user-1", null, false, Ct);
        var first = created.RefreshToken;
        string? newest = first;
        string? expectedNext = null;

        switch (scenario)
        {
            case Scenario.ReuseFirstAfterGrace:
                newest = (await engine.RefreshAsync(first, Ct)).Session!.RefreshToken;
                harness.Time.Advance(harness.Options.RefreshGracePeriod + TimeSpan.FromSeconds(1));
                break;
            case Scenario.RefreshTwiceThenReuseFirst:
                var second = (await engine.RefreshAsync(first, Ct)).Session!.RefreshToken;
                harness.Time.Advance(TimeSpan.FromSeconds(1));
                newest = (await engine.RefreshAsync(second, Ct)).Session!.RefreshToken;
                break;
            case Scenario.ReuseFirstWithinGrace:
                expectedNext = newest = (await engine.RefreshAsync(first, Ct)).Session!.RefreshToken;
                harness.Time.Advance(harness.Options.RefreshGracePeriod - TimeSpan.FromSeconds(1));
                break;
            case Scenario.ExpiredSession:
                harness.Time.Advance(harness.Options.RefreshTokenLifetime + TimeSpan.FromSeconds(1));
                break;
            case Scenario.RevokedSession:
                await engine.RevokeAsync(created.SessionHandle, SessionEngine.RevokedAuditKind, Ct);
                break;
        }

        var outcome = await engine.RefreshAsync(first, Ct);

        Assert.Equal(expected, outcome.Kind);
        if (theftKind is not null)
        {
            Assert.Equal(new TheftReport("user-1", created.SessionHandle, theftKind.Value), outcome.Theft);
            var audit = Assert.Single(await EndEventsAsync(harness.Store, "user-1"));
            Assert.Equal(created.SessionHandle, audit.SessionHandle);
        }

        if (expectedNext is not null)
        {
            Assert.Equal(expectedNext, outcome.Session!.RefreshToken);
        }

        // The newest token tells whether the session survived.
        var probe = await engine.RefreshAsync(newest, Ct);
        Assert.Equal(sessionAlive ? RefreshOutcomeKind.Success : RefreshOutcomeKind.Unauthorised, probe.Kind);
        var row = await harness.Store.FindAsync(created.SessionHandle, Ct);
        Assert.Equal(sessionAlive, row is not null && row.ExpiresAt > harness.Time.GetUtcNow());
    }

    [SkippableFact]
    public async Task Refresh_TheftDetected_KillsSessionsAccessTokensOnThisReplica()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var rotated = (await harness.Engine.RefreshAsync(created.RefreshToken, Ct)).Session!;
        Assert.True(harness.Engine.VerifyAccessToken(rotated.AccessToken).IsValid);
        harness.Time.Advance(TimeSpan.FromMinutes(1));

        var outcome = await harness.Engine.RefreshAsync(created.RefreshToken, Ct);

        Assert.True(outcome.IsTheft);
        Assert.False(harness.Engine.VerifyAccessToken(rotated.AccessToken).IsValid);
    }

    [SkippableFact]
    public async Task Refresh_FiftyConcurrentWithOneToken_AllSucceedWithSameNextToken()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);

        var tasks = new Task<RefreshOutcome>[50];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(() => harness.Engine.RefreshAsync(created.RefreshToken, Ct));
        }

        var outcomes = await Task.WhenAll(tasks);

        Assert.All(outcomes, o => Assert.Equal(RefreshOutcomeKind.Success, o.Kind));
        var next = Assert.Single(outcomes.Select(o => o.Session!.RefreshToken).Distinct());
        Assert.NotEqual(created.RefreshToken, next);
        Assert.Empty(await EndEventsAsync(harness.Store, "user-1"));
        var after = await harness.Engine.RefreshAsync(next, Ct);
        Assert.Equal(RefreshOutcomeKind.Success, after.Kind);
        Assert.NotEqual(next, after.Session!.RefreshToken);
    }

    [SkippableFact]
    public async Task Refresh_CurrentToken_SlidesExpiryAndChangesToken()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        harness.Time.Advance(TimeSpan.FromDays(20));

        var outcome = await harness.Engine.RefreshAsync(created.RefreshToken, Ct);

        Assert.True(outcome.IsSuccess);
        Assert.Equal(harness.Time.GetUtcNow() + harness.Options.RefreshTokenLifetime, outcome.Session.RefreshTokenExpires);
        Assert.NotEqual(created.RefreshToken, outcome.Session.RefreshToken);
        harness.Time.Advance(TimeSpan.FromDays(20));
        Assert.True((await harness.Engine.RefreshAsync(outcome.Session.RefreshToken, Ct)).IsSuccess);
    }

    [SkippableTheory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("v1.a.b.c")]
    public async Task Refresh_MalformedToken_IsUnauthorised(string? token)
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);

        Assert.Equal(RefreshOutcomeKind.Unauthorised, (await harness.Engine.RefreshAsync(token, Ct)).Kind);
    }

    [SkippableFact]
    public async Task Refresh_ForgedTokenNamingKnownHandle_IsUnauthorisedAndSessionSurvives()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var parts = created.RefreshToken.Split('.');
        var forged = string.Join('.', parts[0], parts[1], parts[2], new string('A', parts[3].Length));

        var outcome = await harness.Engine.RefreshAsync(forged, Ct);

        Assert.Equal(RefreshOutcomeKind.Unauthorised, outcome.Kind);
        Assert.True((await harness.Engine.RefreshAsync(created.RefreshToken, Ct)).IsSuccess);
        Assert.Empty(await EndEventsAsync(harness.Store, "user-1"));
    }

    [SkippableFact]
    public async Task Refresh_StoreThrows_IsStoreUnavailableNotUnauthorised()
    {
        using var healthy = await EngineHarness.StartAsync(backend: Backend);
        var created = await healthy.Engine.CreateLiveAsync("user-1", null, false, Ct);
        using var failing = await EngineHarness.StartAsync(
            sharedDatabase: healthy.Database, time: healthy.Time, decorateStore: inner => new OutageStore(inner));

        var outcome = await failing.Engine.RefreshAsync(created.RefreshToken, Ct);

        Assert.Equal(RefreshOutcomeKind.StoreUnavailable, outcome.Kind);
        Assert.True((await healthy.Engine.RefreshAsync(created.RefreshToken, Ct)).IsSuccess);
    }

    [SkippableFact]
    public async Task Refresh_AfterTheIdleTimeout_EndsTheSession_WithAnAuditRow()
    {
        var options = new SessionEngineOptions { IdleTimeout = TimeSpan.FromHours(1) };
        using var harness = await EngineHarness.StartAsync(options, backend: Backend);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.Equal(harness.Time.GetUtcNow() + TimeSpan.FromHours(1), created.RefreshTokenExpires);

        // Activity keeps it alive: each refresh within the timeout restarts it, and the expiry slides only that far.
        var token = created.RefreshToken;
        for (var i = 0; i < 3; i++)
        {
            harness.Time.Advance(TimeSpan.FromMinutes(59));
            var refreshed = await harness.Engine.RefreshAsync(token, Ct);
            Assert.Equal(RefreshOutcomeKind.Success, refreshed.Kind);
            Assert.Equal(harness.Time.GetUtcNow() + TimeSpan.FromHours(1), refreshed.Session!.RefreshTokenExpires);
            token = refreshed.Session.RefreshToken;
        }

        await harness.Engine.RefreshAsync(token, Ct);
        token = (await harness.Engine.RefreshAsync(token, Ct)).Session!.RefreshToken; // a retry within grace: same next token
        harness.Time.Advance(TimeSpan.FromHours(1));

        var outcome = await harness.Engine.RefreshAsync(token, Ct);

        Assert.Equal(RefreshOutcomeKind.Unauthorised, outcome.Kind);
        var audit = Assert.Single(await EndEventsAsync(harness.Store, "user-1"));
        Assert.Equal((SessionEngine.IdleTimeoutAuditKind, created.SessionHandle), (audit.Kind, audit.SessionHandle));
        Assert.Null(await harness.Store.FindAsync(created.SessionHandle, Ct));
        Assert.Equal(RefreshOutcomeKind.Unauthorised, (await harness.Engine.RefreshAsync(token, Ct)).Kind);
    }

    [SkippableFact]
    public async Task Refresh_AtTheAbsoluteLifetime_EndsTheSessionWhateverTheActivity_AndNoRefreshTokenOutlivesIt()
    {
        var options = new SessionEngineOptions { AbsoluteLifetime = TimeSpan.FromHours(8) };
        using var harness = await EngineHarness.StartAsync(options, backend: Backend);
        var end = harness.Time.GetUtcNow() + TimeSpan.FromHours(8);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.Equal(end, created.RefreshTokenExpires);

        var current = created;
        while (harness.Time.GetUtcNow() + TimeSpan.FromMinutes(10) < end)
        {
            harness.Time.Advance(TimeSpan.FromMinutes(10));
            var refreshed = await harness.Engine.RefreshAsync(current.RefreshToken, Ct);
            Assert.Equal(RefreshOutcomeKind.Success, refreshed.Kind);
            Assert.Equal(end, refreshed.Session!.RefreshTokenExpires);
            Assert.Equal(end, (await harness.Store.FindAsync(created.SessionHandle, Ct))!.ExpiresAt);
            current = refreshed.Session;
        }

        harness.Time.SetUtcNow(end);
        Assert.True(harness.Engine.VerifyAccessToken(current.AccessToken).IsValid); // issued minutes ago, not yet expired
        var outcome = await harness.Engine.RefreshAsync(current.RefreshToken, Ct);

        Assert.Equal(RefreshOutcomeKind.Unauthorised, outcome.Kind);
        var audit = Assert.Single(await EndEventsAsync(harness.Store, "user-1"));
        Assert.Equal(SessionEngine.AbsoluteLifetimeAuditKind, audit.Kind);
        Assert.Null(await harness.Store.FindAsync(created.SessionHandle, Ct));
        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(current.AccessToken).Status); // revoked with it
    }

    [SkippableFact]
    public async Task AccessTokens_NeverOutliveTheSessionsAbsoluteLifetime()
    {
        // A session that is over has no valid token left: ending it (or finding it not live) needs no revocation.
        var options = new SessionEngineOptions { AbsoluteLifetime = TimeSpan.FromMinutes(20), AccessTokenLifetime = TimeSpan.FromMinutes(15) };
        using var harness = await EngineHarness.StartAsync(options, backend: Backend);
        var end = harness.Time.GetUtcNow() + TimeSpan.FromMinutes(20);
        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.Equal(created.AccessTokenExpires, harness.Time.GetUtcNow() + TimeSpan.FromMinutes(15));

        harness.Time.Advance(TimeSpan.FromMinutes(10));
        var refreshed = (await harness.Engine.RefreshAsync(created.RefreshToken, Ct)).Session!;

        Assert.Equal(end, refreshed.AccessTokenExpires);
        harness.Time.SetUtcNow(end + SessionEngineOptions.ClockSkew + TimeSpan.FromSeconds(1));
        Assert.Equal(AccessTokenStatus.Expired, harness.Engine.VerifyAccessToken(refreshed.AccessToken).Status);
    }

    [SkippableFact]
    public async Task Refresh_SessionsFromBeforeTheLimitsWereSet_AreHeldToThem()
    {
        using var before = await EngineHarness.StartAsync(backend: Backend);
        var idle = await before.Engine.CreateLiveAsync("user-idle", null, false, Ct);
        before.Time.Advance(TimeSpan.FromHours(3));
        var active = await before.Engine.CreateLiveAsync("user-active", null, false, Ct);
        before.Time.Advance(TimeSpan.FromHours(1.5));
        active = (await before.Engine.RefreshAsync(active.RefreshToken, Ct)).Session!;
        var limits = new SessionEngineOptions { IdleTimeout = TimeSpan.FromHours(2), AbsoluteLifetime = TimeSpan.FromHours(4) };
        using var after = await EngineHarness.StartAsync(limits, sharedDatabase: before.Database, time: before.Time);
        after.Time.Advance(TimeSpan.FromHours(1));

        var idleOutcome = await after.Engine.RefreshAsync(idle.RefreshToken, Ct);
        var activeOutcome = await after.Engine.RefreshAsync(active.RefreshToken, Ct);

        Assert.Equal(RefreshOutcomeKind.Unauthorised, idleOutcome.Kind);
        Assert.Equal(SessionEngine.AbsoluteLifetimeAuditKind, Assert.Single(await EndEventsAsync(after.Store, "user-idle")).Kind);
        Assert.Equal(RefreshOutcomeKind.Success, activeOutcome.Kind);
        Assert.Equal(active.SessionHandle, activeOutcome.Session!.SessionHandle);
        // Its absolute end (created + 4 h) comes before its idle end (now + 2 h): the expiry stops there.
        var createdAt = (await after.Store.FindAsync(active.SessionHandle, Ct))!.CreatedAt;
        Assert.Equal(createdAt + TimeSpan.FromHours(4), activeOutcome.Session.RefreshTokenExpires);
        Assert.True(createdAt + TimeSpan.FromHours(4) < after.Time.GetUtcNow() + TimeSpan.FromHours(2));
    }
}
