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
    public async Task Initialize_DatabaseOfTheVersionBeforeSessionManagement_KeepsItsRowsWithoutClients()
    {
        // A database as the previous release left it (step 1), with a session and an audit event in it.
        var connectionString = await PostgresTestServer.CreateSchemaAsync();
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        try
        {
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.ExecuteAsync(PostgresSchema.Step(1));
                await connection.ExecuteAsync("CREATE TABLE session_gateway_schema (version integer NOT NULL); INSERT INTO session_gateway_schema VALUES (1);");
                await connection.ExecuteAsync(
                    """
                    INSERT INTO sessions (handle, user_id, custom_claims, anti_csrf_token, current_hash, previous_hash, rotated_at, expires_at, created_at)
                    VALUES ('old', 'user-1', '{}', NULL, 'h1', 'h0', @Rotated, @Expires, @Created);
                    INSERT INTO session_events (kind, user_id, session_handle, occurred_at) VALUES ('signed-out', 'user-1', 'gone', @Created);
                    """,
                    new { Rotated = now.AddMinutes(5), Expires = now.AddDays(30), Created = now });
            }

            await using var store = new PostgresSessionStore(Options(connectionString));
            await store.InitializeAsync(CancellationToken.None);

            await using (var connection = new NpgsqlConnection(connectionString))
            {
                Assert.Equal(PostgresSchema.LatestVersion, await connection.ExecuteScalarAsync<int>("SELECT version FROM session_gateway_schema"));
            }

            Assert.Equal(
                new SessionRecord("old", "user-1", "{}", null, "h1", "h0", now.AddMinutes(5), now.AddDays(30), now),
                await store.FindAsync("old", CancellationToken.None));
            var listed = Assert.Single(await store.ListForUserAsync("user-1", CancellationToken.None));
            Assert.Equal(((ClientInfo?)null, (ClientInfo?)null), (listed.CreatedBy, listed.RefreshedBy));
            var audit = Assert.Single(await store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), CancellationToken.None));
            Assert.Equal(("signed-out", "gone", now, (ClientInfo?)null), (audit.Kind, audit.SessionHandle, audit.OccurredAt, audit.Client));

            // What the new step added works on the migrated database.
            var client = new ClientInfo("192.0.2.1", "curl/8");
            Assert.Equal(client, (await store.TryRotateAsync("old", "h1", "h2", now.AddMinutes(6), now.AddDays(30), SessionLimits.None, client, CancellationToken.None))!.RefreshedBy);
            await store.RevokeAsync("old", now.AddHours(1), new AuditEntry("revoked", now.AddMinutes(7), client, "msg_1"), CancellationToken.None);
            var queued = Assert.Single(await store.TakeWebhooksAsync(now.AddMinutes(7), now.AddMinutes(8), 10, CancellationToken.None));
            Assert.True(queued.Event.Id > audit.Id);
        }
        finally
        {
            PostgresTestServer.DropSchema(connectionString);
        }
    }

    [SkippableFact]
    public async Task TakeWebhooks_AnOutboxRowWhoseEventIsGone_IsDeletedAndNotReturned()
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Store.CreateAsync(new SessionRecord("a", "user-1", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now, null, "msg_a"), CancellationToken.None);
        await Store.CreateAsync(new SessionRecord("b", "user-1", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now, null, "msg_b"), CancellationToken.None);
        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            await connection.ExecuteAsync("DELETE FROM session_events WHERE session_handle = 'a';");
        }

        Assert.Equal(["msg_b"], (await Store.TakeWebhooksAsync(now, now.AddMinutes(1), 10, CancellationToken.None)).Select(w => w.WebhookId));

        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            Assert.Equal(["msg_b"], await connection.QueryAsync<string>("SELECT webhook_id FROM webhook_outbox;"));
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

    [SkippableFact]
    public async Task RevocationFeed_AnnouncesAnOwnedRevocation_ButNothingForSomeoneElsesSession()
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var until = now.AddMinutes(16);
        await Store.CreateAsync(new SessionRecord("alices", "alice", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now), CancellationToken.None);
        await Store.CreateAsync(new SessionRecord("bobs", "bob", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now), CancellationToken.None);
        var feed = new PostgresRevocationFeed((PostgresSessionStore)Store, TimeProvider.System);
        var received = new List<Revocation>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = feed.RunAsync(
            _ => { listening.TrySetResult(); return Task.CompletedTask; },
            r =>
            {
                lock (received)
                {
                    received.Add(r);
                }

                if (r.SessionHandle == "bobs")
                {
                    second.TrySetResult();
                }
            },
            e => second.TrySetException(e),
            stop.Token);
        await listening.Task.WaitAsync(stop.Token);

        Assert.False(await Store.RevokeOwnedAsync("alices", "bob", until, new AuditEntry("revoked-by-user", now), CancellationToken.None));
        Assert.True(await Store.RevokeOwnedAsync("bobs", "bob", until, new AuditEntry("revoked-by-user", now), CancellationToken.None));

        // Notifications arrive in commit order: once bob's is in, alice's would have been before it.
        await second.Task.WaitAsync(stop.Token);
        lock (received)
        {
            Assert.Equal([new Revocation("bobs", until)], received);
        }

        await stop.CancelAsync();
        await run;
    }
}
