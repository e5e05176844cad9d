using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

public sealed class SessionEngineInitializerTests : IAsyncLifetime, IDisposable
{
    private TestDatabase? _database;
    private ISessionStore? _store;
    private SigningKeyRing? _keys;

    private SessionEngine Engine { get; set; } = null!;

    private SessionEngineInitializer Initializer { get; set; } = null!;

    public async Task InitializeAsync()
    {
        // An engine on a new SQLite file, not initialised: what the container builds before the start begins it.
        _database = await TestDatabase.CreateAsync(TestBackend.Sqlite);
        _store = _database.CreateStore();
        var options = new SessionEngineOptions();
        var time = new FakeTimeProvider(EngineHarness.Start);
        _keys = new SigningKeyRing(_store, options, KeyEncryption.None, time, NullLogger<SigningKeyRing>.Instance);
        Engine = new SessionEngine(_store, _keys, options, KeyEncryption.None, time, NullLogger<SessionEngine>.Instance);
        Initializer = new SessionEngineInitializer(Engine, _database.StoreOptions);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Initializer.Dispose();
        _keys?.Dispose();
        (_store as IDisposable)?.Dispose();
        _database?.Dispose();
    }

    /// <summary>
    /// The start begins the initialisation from another thread while the rest of the configuration is checked; when
    /// those checks fail the application (and with it the store) is disposed, and a begin that comes after must not
    /// open the disposed store.
    /// </summary>
    [Fact]
    public void Begin_AfterDispose_Throws_AndNeverInitialises()
    {
        Initializer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => { _ = Initializer.Begin(); });
        Assert.False(Engine.IsInitialized);
    }

    [Fact]
    public async Task Begin_TwiceThenStart_InitialisesOnce()
    {
        var first = Initializer.Begin();
        Assert.Same(first, Initializer.Begin());
        await Initializer.StartAsync(CancellationToken.None);

        Assert.True(Engine.IsInitialized);
    }
}
