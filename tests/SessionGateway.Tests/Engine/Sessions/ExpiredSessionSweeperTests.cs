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

    [Fact]
    public async Task SweepOnce_AuditEventsPastTheRetention_AreDeletedInBatches_ExceptThoseWaitingForTheirWebhook()
    {
        RecordingStore? recorder = null;
        var options = new SessionEngineOptions
        {
            AuditRetention = TimeSpan.FromDays(10),
            WebhookEventTypes = new HashSet<string> { SessionEventTypes.SignedOut },
        };
        using var harness = await EngineHarness.StartAsync(options, decorateStore: inner => recorder = new RecordingStore(inner));
        var first = await harness.Engine.CreateLiveAsync("old-user", null, false, Ct);
        for (var i = 0; i < 4; i++)
        {
            await harness.Engine.CreateLiveAsync("old-user", null, false, Ct);
        }

        // Its webhook is never delivered (no sender here): the event must outlive the retention until it is.
        await harness.Engine.RevokeAsync(first.SessionHandle, SessionEngine.SignedOutAuditKind, Ct);
        harness.Time.Advance(TimeSpan.FromDays(9));
        var recent = await harness.Engine.CreateLiveAsync("new-user", null, false, Ct);
        harness.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMilliseconds(1));
        var sweeper = new ExpiredSessionSweeper(
            harness.Store, harness.Engine, harness.Database.StoreOptions with { SweepBatchSize = 2 }, harness.Options, harness.Time, NullLogger<ExpiredSessionSweeper>.Instance);

        await sweeper.SweepOnceAsync(Ct);

        Assert.Equal([2, 2, 1], recorder!.EventsDeletedPerBatch);
        var left = await harness.Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100), Ct);
        Assert.Equal(
            [(SessionEventTypes.SignedOutKind, first.SessionHandle), (SessionEventTypes.CreatedKind, recent.SessionHandle)],
            left.Select(e => (e.Kind, e.SessionHandle)));
    }

    [Fact]
    public async Task SweepOnce_WithoutRetention_KeepsEveryAuditEvent()
    {
        using var harness = await EngineHarness.StartAsync(new SessionEngineOptions { AuditRetention = null });
        await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        harness.Time.Advance(TimeSpan.FromDays(3650));
        var sweeper = new ExpiredSessionSweeper(
            harness.Store, harness.Engine, harness.Database.StoreOptions, harness.Options, harness.Time, NullLogger<ExpiredSessionSweeper>.Instance);

        await sweeper.SweepOnceAsync(Ct);

        Assert.Single(await harness.Store.ListEventsAsync(new EventQuery(EventCursor.Start, 100), Ct));
    }

    [Fact]
    public void AuditRetention_DefaultsToNinetyDays_AndMustBePositive()
    {
        Assert.Equal(TimeSpan.FromDays(90), new SessionEngineOptions().AuditRetention);
        Assert.Contains(new SessionEngineOptions { AuditRetention = TimeSpan.Zero }.Validate(), e => e.Contains("Session:AuditRetention", StringComparison.Ordinal));
        Assert.Empty(new SessionEngineOptions { AuditRetention = null }.Validate());
    }

    private sealed class RecordingStore(ISessionStore inner) : DelegatingStore(inner)
    {
        public List<int> DeletedPerBatch { get; } = [];

        public List<int> EventsDeletedPerBatch { get; } = [];

        public override async Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
        {
            var deleted = await base.DeleteEventsBeforeAsync(before, batchSize, cancellationToken);
            EventsDeletedPerBatch.Add(deleted);
            return deleted;
        }

        public override async Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
        {
            var deleted = await base.DeleteExpiredAsync(now, batchSize, cancellationToken);
            DeletedPerBatch.Add(deleted);
            return deleted;
        }
    }
}
