using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine;

/// <summary>An initialised engine on a temp SQLite file with a fake clock.</summary>
internal sealed class EngineHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDatabase? _ownedDatabase;

    private EngineHarness(TempDatabase database, bool ownsDatabase, SessionEngineOptions options, FakeTimeProvider time, ISessionStore? storeOverride)
    {
        _ownedDatabase = ownsDatabase ? database : null;
        Database = database;
        Options = options;
        Time = time;
        SqliteStore = new SqliteSessionStore(database.StoreOptions());
        Store = storeOverride ?? SqliteStore;
        Keys = new SigningKeyRing(Store, options, time, NullLogger<SigningKeyRing>.Instance);
        Engine = new SessionEngine(Store, Keys, options, time, NullLogger<SessionEngine>.Instance);
    }

    public TempDatabase Database { get; }

    public SessionEngineOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public SqliteSessionStore SqliteStore { get; }

    public ISessionStore Store { get; }

    public SigningKeyRing Keys { get; }

    public SessionEngine Engine { get; }

    public static async Task<EngineHarness> StartAsync(
        SessionEngineOptions? options = null,
        TempDatabase? sharedDatabase = null,
        FakeTimeProvider? time = null,
        Func<ISessionStore, ISessionStore>? decorateStore = null)
    {
        var database = sharedDatabase ?? new TempDatabase();
        var clock = time ?? new FakeTimeProvider(Start);
        var inner = new SqliteSessionStore(database.StoreOptions());
        var harness = new EngineHarness(database, sharedDatabase is null, options ?? new SessionEngineOptions(), clock, decorateStore?.Invoke(inner));
        await harness.Engine.InitializeAsync(CancellationToken.None);
        return harness;
    }

    public void Dispose()
    {
        Keys.Dispose();
        _ownedDatabase?.Dispose();
    }
}
