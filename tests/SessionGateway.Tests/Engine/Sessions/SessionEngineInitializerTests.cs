using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tests.Engine.Sessions;

public sealed class SessionEngineInitializerTests
{
    /// <summary>
    /// The start begins the initialisation from another thread while the rest of the configuration is checked; when
    /// those checks fail the application (and with it the store) is disposed, and a begin that comes after must not
    /// open the disposed store.
    /// </summary>
    [Fact]
    public async Task Begin_AfterDispose_Throws_AndNeverInitialises()
    {
        using var database = await TestDatabase.CreateAsync(TestBackend.Sqlite);
        var store = database.CreateStore();
        using var closeStore = store as IDisposable;
        var options = new SessionEngineOptions();
        var time = new FakeTimeProvider(EngineHarness.Start);
        using var keys = new SigningKeyRing(store, options, KeyEncryption.None, time, NullLogger<SigningKeyRing>.Instance);
        var engine = new SessionEngine(store, keys, options, KeyEncryption.None, time, NullLogger<SessionEngine>.Instance);
        var initializer = new SessionEngineInitializer(engine, database.StoreOptions);

        initializer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => { _ = initializer.Begin(); });
        Assert.False(engine.IsInitialized);
    }

    [Fact]
    public async Task Begin_TwiceThenStart_InitialisesOnce()
    {
        using var database = await TestDatabase.CreateAsync(TestBackend.Sqlite);
        var store = database.CreateStore();
        using var closeStore = store as IDisposable;
        var options = new SessionEngineOptions();
        var time = new FakeTimeProvider(EngineHarness.Start);
        using var keys = new SigningKeyRing(store, options, KeyEncryption.None, time, NullLogger<SigningKeyRing>.Instance);
        var engine = new SessionEngine(store, keys, options, KeyEncryption.None, time, NullLogger<SessionEngine>.Instance);
        using var initializer = new SessionEngineInitializer(engine, database.StoreOptions);

        var first = initializer.Begin();
        Assert.Same(first, initializer.Begin());
        await initializer.StartAsync(CancellationToken.None);

        Assert.True(engine.IsInitialized);
    }
}
