using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

public sealed class PostgresRevocationTests : RevocationTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private protected override TestBackend Backend => TestBackend.Postgres;

    [SkippableFact]
    public async Task Revoke_OnOneReplica_IsRefusedOnAnotherWithinASecond()
    {
        using var a = await EngineHarness.StartAsync(backend: Backend);
        using var b = await EngineHarness.StartAsync(sharedDatabase: a.Database, time: a.Time);
        using var sync = new RevocationSync(b.Engine, new PostgresRevocationFeed((PostgresSessionStore)b.Store, TimeProvider.System), NullLogger<RevocationSync>.Instance);
        await sync.StartAsync(Ct);
        await WaitAsync(() => sync.IsCurrent, TimeSpan.FromSeconds(10));
        var issued = await a.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True(b.Engine.VerifyAccessToken(issued.AccessToken).IsValid);

        var clock = Stopwatch.StartNew();
        await a.Engine.RevokeAsync(issued.SessionHandle, SessionEngine.SignedOutAuditKind, Ct);
        await WaitAsync(() => !b.Engine.VerifyAccessToken(issued.AccessToken).IsValid, TimeSpan.FromSeconds(1));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"refused after {clock.Elapsed.TotalMilliseconds} ms");
        await sync.StopAsync(Ct);
    }

    [SkippableFact]
    public async Task RevokeAllForUser_OnOneReplica_IsRefusedOnAnotherWithinASecond()
    {
        using var a = await EngineHarness.StartAsync(backend: Backend);
        using var b = await EngineHarness.StartAsync(sharedDatabase: a.Database, time: a.Time);
        using var sync = new RevocationSync(b.Engine, new PostgresRevocationFeed((PostgresSessionStore)b.Store, TimeProvider.System), NullLogger<RevocationSync>.Instance);
        await sync.StartAsync(Ct);
        await WaitAsync(() => sync.IsCurrent, TimeSpan.FromSeconds(10));
        var first = await a.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var second = await a.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var other = await a.Engine.CreateLiveAsync("user-2", null, false, Ct);

        Assert.Equal(2, (await a.Engine.RevokeAllForUserAsync("user-1", Ct)).Value);
        await WaitAsync(
            () => !b.Engine.VerifyAccessToken(first.AccessToken).IsValid && !b.Engine.VerifyAccessToken(second.AccessToken).IsValid,
            TimeSpan.FromSeconds(1));

        Assert.True(b.Engine.VerifyAccessToken(other.AccessToken).IsValid);
        await sync.StopAsync(Ct);
    }
}
