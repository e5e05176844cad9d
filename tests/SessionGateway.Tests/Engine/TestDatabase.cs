using SessionGateway.Storage;
using SessionGateway.Testing;

namespace SessionGateway.Tests.Engine;

/// <summary>An empty store of either backend: a temp SQLite file, or a fresh schema on the test PostgreSQL server.</summary>
internal sealed class TestDatabase : IDisposable
{
    private readonly TempDatabase? _sqlite;

    private TestDatabase(TestBackend backend, SessionStoreOptions options, TempDatabase? sqlite)
    {
        Backend = backend;
        StoreOptions = options;
        _sqlite = sqlite;
    }

    public TestBackend Backend { get; }

    public SessionStoreOptions StoreOptions { get; }

    /// <summary>Creates the database; for PostgreSQL, skips the test when no server is available.</summary>
    public static async Task<TestDatabase> CreateAsync(TestBackend backend, int sweepBatchSize = 500)
    {
        if (backend == TestBackend.Sqlite)
        {
            var file = new TempDatabase();
            return new TestDatabase(backend, file.StoreOptions(sweepBatchSize), file);
        }

        var connectionString = await PostgresTestServer.CreateSchemaAsync();
        return new TestDatabase(
            backend,
            new SessionStoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connectionString, SweepBatchSize = sweepBatchSize },
            null);
    }

    /// <summary>A new store object on this database, as another replica would open it.</summary>
    public ISessionStore CreateStore() => Backend == TestBackend.Sqlite
        ? new SqliteSessionStore(StoreOptions)
        : new PostgresSessionStore(StoreOptions);

    public void Dispose()
    {
        if (_sqlite is not null)
        {
            _sqlite.Dispose();
        }
        else
        {
            PostgresTestServer.DropSchema(StoreOptions.ConnectionString);
        }
    }
}
