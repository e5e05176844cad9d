using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary><see cref="SessionGateway.Sessions.SessionEngine.IsStoreAvailableAsync"/>, the readiness probe's store check.</summary>
public sealed class StoreAvailabilityTests
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(800);

    [Fact]
    public async Task StoreAnswers_Available()
    {
        using var harness = await EngineHarness.StartAsync();

        Assert.True(harness.Engine.IsInitialized);
        Assert.True(await harness.Engine.IsStoreAvailableAsync(ProbeTimeout, CancellationToken.None));
    }

    [Fact]
    public async Task StoreOutage_UnavailableAsAValue_NotAnException()
    {
        var outage = false;
        using var harness = await EngineHarness.StartAsync(decorateStore: inner => new SwitchableStore(inner, () => outage));
        outage = true;

        Assert.False(await harness.Engine.IsStoreAvailableAsync(ProbeTimeout, CancellationToken.None));
    }

    [Fact]
    public async Task StoreThatDoesNotAnswer_UnavailableWhenTheTimeoutPasses()
    {
        var hang = false;
        using var harness = await EngineHarness.StartAsync(decorateStore: inner => new SwitchableStore(inner, () => false, () => hang));
        hang = true;

        var check = harness.Engine.IsStoreAvailableAsync(ProbeTimeout, CancellationToken.None);
        harness.Time.Advance(ProbeTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(check.IsCompleted);
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(await check.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>The ping fails like a locked database, or never answers, while the switches say so.</summary>
    private sealed class SwitchableStore(ISessionStore inner, Func<bool> outage, Func<bool>? hang = null) : DelegatingStore(inner)
    {
        public override Task PingAsync(CancellationToken cancellationToken) =>
            outage() ? throw new Microsoft.Data.Sqlite.SqliteException("database is locked", 5)
            : hang?.Invoke() == true ? Task.Delay(Timeout.InfiniteTimeSpan, CancellationToken.None)
            : base.PingAsync(cancellationToken);
    }
}
