using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine;

/// <summary>An initialised engine (one replica) on a store of either backend with a fake clock.</summary>
internal sealed class EngineHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TestDatabase? _ownedDatabase;
    private readonly ISessionStore _innerStore;

    private EngineHarness(
        TestDatabase database,
        bool ownsDatabase,
        SessionEngineOptions options,
        FakeTimeProvider time,
        Func<ISessionStore, ISessionStore>? decorateStore,
        KeyEncryption keyEncryption,
        ILogger<SessionEngine> engineLogger)
    {
        _ownedDatabase = ownsDatabase ? database : null;
        Database = database;
        Options = options;
        Time = time;
        _innerStore = database.CreateStore();
        Store = decorateStore?.Invoke(_innerStore) ?? _innerStore;
        Keys = new SigningKeyRing(Store, options, keyEncryption, time, NullLogger<SigningKeyRing>.Instance);
        Engine = new SessionEngine(Store, Keys, options, keyEncryption, time, engineLogger);
    }

    public TestDatabase Database { get; }

    public SessionEngineOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public ISessionStore Store { get; }

    public SigningKeyRing Keys { get; }

    public SessionEngine Engine { get; }

    /// <summary>
    /// Starts a replica on a new database of <paramref name="backend"/>, or on <paramref name="sharedDatabase"/> as a
    /// further replica. A PostgreSQL harness skips the test when no server is available. Initialisation failures
    /// (for example <see cref="KeyEncryptionException"/>) propagate after the harness is disposed.
    /// </summary>
    public static async Task<EngineHarness> StartAsync(
        SessionEngineOptions? options = null,
        TestDatabase? sharedDatabase = null,
        FakeTimeProvider? time = null,
        Func<ISessionStore, ISessionStore>? decorateStore = null,
        TestBackend backend = TestBackend.Sqlite,
        KeyEncryption? keyEncryption = null,
        ILogger<SessionEngine>? engineLogger = null)
    {
        var database = sharedDatabase ?? await TestDatabase.CreateAsync(backend);
        var clock = time ?? new FakeTimeProvider(Start);
        var harness = new EngineHarness(database, sharedDatabase is null, options ?? new SessionEngineOptions(), clock, decorateStore, keyEncryption ?? KeyEncryption.None, engineLogger ?? NullLogger<SessionEngine>.Instance);
        try
        {
            await harness.Engine.InitializeAsync(CancellationToken.None);
        }
        catch
        {
            harness.Dispose();
            throw;
        }

        return harness;
    }

    public void Dispose()
    {
        Keys.Dispose();
        (_innerStore as IDisposable)?.Dispose();
        _ownedDatabase?.Dispose();
    }
}
