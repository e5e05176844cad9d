using SessionGateway.Sessions;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>Runs against every backend: one subclass per <see cref="TestBackend"/>.</summary>
public abstract class RefreshRotationTests
{
    private protected abstract TestBackend Backend { get; }

    private static readonly CancellationToken Ct = CancellationToken.None;

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
            var audit = Assert.Single(await harness.Store.ListAuditEventsAsync("user-1", Ct));
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
        Assert.Empty(await harness.Store.ListAuditEventsAsync("user-1", Ct));
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
        Assert.Empty(await harness.Store.ListAuditEventsAsync("user-1", Ct));
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
}
