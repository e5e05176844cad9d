using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Sessions;
using SessionGateway.Storage;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>Revocations are durable and reach every replica; runs against every backend.</summary>
public abstract class RevocationTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private protected abstract TestBackend Backend { get; }

    [SkippableFact]
    public async Task SignOut_ThenRestart_TheRestartedReplicaStillRefusesTheAccessToken()
    {
        using var before = await EngineHarness.StartAsync(backend: Backend);
        var issued = await before.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True((await before.Engine.RevokeAsync(issued.SessionHandle, SessionEngine.SignedOutAuditKind, Ct)).Value);

        using var restarted = await EngineHarness.StartAsync(sharedDatabase: before.Database, time: before.Time);

        Assert.Equal(AccessTokenStatus.Invalid, restarted.Engine.VerifyAccessToken(issued.AccessToken).Status);
    }

    [SkippableFact]
    public async Task Theft_ThenRestart_TheRestartedReplicaStillRefusesTheAccessToken()
    {
        using var before = await EngineHarness.StartAsync(backend: Backend);
        var issued = await before.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var rotated = (await before.Engine.RefreshAsync(issued.RefreshToken, Ct)).Session!;
        before.Time.Advance(before.Options.RefreshGracePeriod + TimeSpan.FromSeconds(1));
        Assert.True((await before.Engine.RefreshAsync(issued.RefreshToken, Ct)).IsTheft);

        using var restarted = await EngineHarness.StartAsync(sharedDatabase: before.Database, time: before.Time);

        Assert.Equal(AccessTokenStatus.Invalid, restarted.Engine.VerifyAccessToken(rotated.AccessToken).Status);
    }

    [SkippableFact]
    public async Task Revoke_WhenTheStoreIsDown_IsAResultAndTheTokenStaysValid()
    {
        using var healthy = await EngineHarness.StartAsync(backend: Backend);
        var issued = await healthy.Engine.CreateLiveAsync("user-1", null, false, Ct);
        using var failing = await EngineHarness.StartAsync(sharedDatabase: healthy.Database, time: healthy.Time, decorateStore: inner => new OutageStore(inner));

        Assert.True((await failing.Engine.RevokeAsync(issued.SessionHandle, SessionEngine.SignedOutAuditKind, Ct)).IsUnavailable);
        Assert.True((await failing.Engine.RevokeAllForUserAsync("user-1", Ct)).IsUnavailable);
        Assert.True((await failing.Engine.CreateAsync("user-2", null, false, Ct)).IsUnavailable);
        Assert.True((await failing.Engine.ListSessionsAsync("user-1", Ct)).IsUnavailable);

        // Nothing was lost: the session is untouched and the user still signed in everywhere.
        Assert.True(failing.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        Assert.True((await healthy.Engine.RefreshAsync(issued.RefreshToken, Ct)).IsSuccess);
    }

    [SkippableFact]
    public async Task TheftMetDuringAStoreOutage_IsLogged_AndDoesNotLockTheOwnerOutOfThisReplica()
    {
        using var healthy = await EngineHarness.StartAsync(backend: Backend);
        var created = await healthy.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var rotated = (await healthy.Engine.RefreshAsync(created.RefreshToken, Ct)).Session!;
        healthy.Time.Advance(healthy.Options.RefreshGracePeriod + TimeSpan.FromSeconds(1));
        var logs = new RecordingLogger<SessionEngine>();
        using var flaky = await EngineHarness.StartAsync(
            sharedDatabase: healthy.Database, time: healthy.Time, decorateStore: inner => new RevokeFailsStore(inner), engineLogger: logs);

        var stale = await flaky.Engine.RefreshAsync(created.RefreshToken, Ct);

        Assert.Equal(RefreshOutcomeKind.StoreUnavailable, stale.Kind);
        Assert.Contains(logs.Entries, e => e.EventId == 1001);
        // The session is not revoked in the store, so this replica does not refuse it either: no 440 loop for the owner.
        var next = await flaky.Engine.RefreshAsync(rotated.RefreshToken, Ct);
        Assert.True(next.IsSuccess);
        Assert.True(flaky.Engine.VerifyAccessToken(next.Session.AccessToken).IsValid);
    }

    [SkippableFact]
    public async Task RevocationFromAReplicaWithAShorterLifetime_IsKeptForThisReplicasOwnLifetime()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);

        // Another replica, configured with a 20 s lifetime, revoked the session: its row says "refuse for 22 s".
        harness.Engine.ApplyRevocation(new Revocation(issued.SessionHandle, harness.Time.GetUtcNow() + TimeSpan.FromSeconds(22)));
        harness.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(issued.AccessToken).Status);
    }

    private sealed class RevokeFailsStore(ISessionStore inner) : DelegatingStore(inner)
    {
        public override Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
            throw new Microsoft.Data.Sqlite.SqliteException("database is locked", 5);
    }

    // The feed delivers on the real clock (a database round trip), so this polls; bounded.
    private protected static async Task WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, "condition not met within " + timeout);
            await Task.Delay(10);
        }
    }
}
