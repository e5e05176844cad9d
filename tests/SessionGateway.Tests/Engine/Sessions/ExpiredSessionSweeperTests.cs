using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

public sealed class ExpiredSessionSweeperTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task SweepOnce_TwentyExpiredWithBatchOfEight_DeletesAllInBoundedBatchesAndKeepsLiveOnes()
    {
        RecordingStore? recorder = null;
        using var harness = await EngineHarness.StartAsync(decorateStore: inner => recorder = new RecordingStore(inner));
        for (var i = 0; i < 20; i++)
        {
            await harness.Engine.CreateLiveAsync("old-user", null, false, Ct);
        }

        harness.Time.Advance(TimeSpan.FromDays(29));
        var live = await harness.Engine.CreateLiveAsync("live-user", null, false, Ct);
        harness.Time.Advance(TimeSpan.FromDays(2));
        var sweeper = new ExpiredSessionSweeper(
            harness.Store, harness.Engine, harness.Database.StoreOptions with { SweepBatchSize = 8 }, harness.Options, harness.Time, NullLogger<ExpiredSessionSweeper>.Instance);

        var deleted = await sweeper.SweepOnceAsync(Ct);

        Assert.Equal(20, deleted);
        Assert.Equal([8, 8, 4], recorder!.DeletedPerBatch);
        Assert.Empty(await harness.Store.ListForUserAsync("old-user", Ct));
        Assert.NotNull(await harness.Store.FindAsync(live.SessionHandle, Ct));
        Assert.True((await harness.Engine.RefreshAsync(live.RefreshToken, Ct)).IsSuccess);
    }

    [Fact]
    public async Task SweepOnce_RevocationsOlderThanAnyAccessToken_AreForgotten()
    {
        using var harness = await EngineHarness.StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        await harness.Engine.RevokeAsync(issued.SessionHandle, SessionEngine.SignedOutAuditKind, Ct);
        var sweeper = new ExpiredSessionSweeper(
            harness.Store, harness.Engine, harness.Database.StoreOptions, harness.Options, harness.Time, NullLogger<ExpiredSessionSweeper>.Instance);

        await sweeper.SweepOnceAsync(Ct);
        Assert.Equal(1, harness.Engine.RevokedSessions.Count);

        harness.Time.Advance(harness.Options.AccessTokenLifetime + TimeSpan.FromSeconds(5));
        await sweeper.SweepOnceAsync(Ct);
        Assert.Equal(0, harness.Engine.RevokedSessions.Count);
        Assert.Equal(0, await harness.Store.DeleteExpiredRevocationsAsync(harness.Time.GetUtcNow(), 100, Ct)); // the durable row went too
    }

    private sealed class RecordingStore(ISessionStore inner) : DelegatingStore(inner)
    {
        public List<int> DeletedPerBatch { get; } = [];

        public override async Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
        {
            var deleted = await base.DeleteExpiredAsync(now, batchSize, cancellationToken);
            DeletedPerBatch.Add(deleted);
            return deleted;
        }
    }
}
