using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
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

    /// <summary>
    /// A plain connection to the database, past the store: what someone holding a copy of the file or database
    /// credentials sees.
    /// </summary>
    public async Task<DbConnection> OpenRawAsync()
    {
        DbConnection connection = Backend == TestBackend.Sqlite
            ? new SqliteConnection(SqliteSessionStore.BuildConnectionString(StoreOptions.ConnectionString))
            : new NpgsqlConnection(StoreOptions.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/> on a plain connection and returns the first column of every row.</summary>
    public async Task<List<T>> QueryRawAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await OpenRawAsync();
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }

    /// <summary>Runs a statement on a plain connection; returns the rows it changed.</summary>
    public async Task<int> ExecuteRawAsync(string sql, object? parameters = null)
    {
        await using var connection = await OpenRawAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

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
