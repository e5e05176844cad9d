using Dapper;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Storage;

public sealed class SqliteSessionStoreTests : SessionStoreContractTests, IDisposable
{
    private readonly TempDatabase _database = new();

    private protected override Task<ISessionStore> CreateStoreAsync() =>
        Task.FromResult<ISessionStore>(new SqliteSessionStore(_database.StoreOptions()));

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task Initialize_NewFile_UsesWalAndLatestSchemaVersionWithIndexes()
    {
        var store = (SqliteSessionStore)Store;
        await using var connection = await store.OpenConnectionAsync(CancellationToken.None);

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode;"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous;")); // NORMAL
        Assert.Equal(SqliteSchema.LatestVersion, await connection.ExecuteScalarAsync<long>("PRAGMA user_version;"));
        var indexes = (await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions';")).ToList();
        Assert.Contains("ix_sessions_expires_at", indexes);
        Assert.Contains("ix_sessions_user_id", indexes);
    }

    [SkippableTheory]
    [InlineData("sessions.db")]
    [InlineData("Data Source=sessions.db")]
    public void BuildConnectionString_PathOrFullString_NamesTheFile(string configured)
    {
        Assert.Contains("Data Source=sessions.db", SqliteSessionStore.BuildConnectionString(configured));
    }
}
