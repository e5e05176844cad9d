using Dapper;
using Npgsql;
using SessionGateway.Storage;
using SessionGateway.Testing;

namespace SessionGateway.Tests.Engine.Storage;

/// <summary>The store contract on a real PostgreSQL server (a fresh schema per test), plus what only PostgreSQL has.</summary>
public sealed class PostgresSessionStoreTests : SessionStoreContractTests, IDisposable
{
    private string? _connectionString;

    private protected override async Task<ISessionStore> CreateStoreAsync()
    {
        _connectionString ??= await PostgresTestServer.CreateSchemaAsync();
        return new PostgresSessionStore(Options(_connectionString));
    }

    private static SessionStoreOptions Options(string connectionString) =>
        new() { Provider = StoreProvider.Postgres, ConnectionString = connectionString };

    public void Dispose()
    {
        (Store as IDisposable)?.Dispose();
        if (_connectionString is not null)
        {
            PostgresTestServer.DropSchema(_connectionString);
        }
    }

    [SkippableFact]
    public async Task Initialize_ReplicasStartingTogetherOnAnEmptyDatabase_MigrateOnce()
    {
        var connectionString = await PostgresTestServer.CreateSchemaAsync();
        try
        {
            var stores = Enumerable.Range(0, 6).Select(_ => new PostgresSessionStore(Options(connectionString))).ToList();

            await Task.WhenAll(stores.Select(s => Task.Run(() => s.InitializeAsync(CancellationToken.None))));

            await using var connection = new NpgsqlConnection(connectionString);
            Assert.Equal(PostgresSchema.LatestVersion, await connection.ExecuteScalarAsync<int>("SELECT version FROM session_gateway_schema"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM session_gateway_schema"));
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
        finally
        {
            PostgresTestServer.DropSchema(connectionString);
        }
    }

    [SkippableFact]
    public async Task RevocationFeed_ReportsRevocationsCommittedByAnotherStore()
    {
        var other = new PostgresSessionStore(Options(_connectionString!));
        await using var _ = other;
        var feed = new PostgresRevocationFeed((PostgresSessionStore)Store, TimeProvider.System);
        var received = new TaskCompletionSource<Revocation>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = feed.RunAsync(
            _ => { listening.TrySetResult(); return Task.CompletedTask; },
            r => received.TrySetResult(r),
            e => received.TrySetException(e),
            stop.Token);
        await listening.Task.WaitAsync(stop.Token);
        var until = new DateTimeOffset(2030, 1, 1, 0, 16, 0, TimeSpan.Zero);

        await other.RevokeAsync("handle-1", until, new AuditEntry("signed-out", until.AddMinutes(-16)), CancellationToken.None);

        Assert.Equal(new Revocation("handle-1", until), await received.Task.WaitAsync(stop.Token));
        await stop.CancelAsync();
        await run;
    }
}
