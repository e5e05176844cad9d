using Microsoft.Data.Sqlite;
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
    public async Task TakeWebhooks_ReadsTheDueRowsInIndexOrder_NeverSortsTheWholeOutbox()
    {
        // The take runs every second in the write lock: with a receiver down for long the outbox holds a backlog of due
        // rows, and sorting them all (a temporary B-tree) would hold every login and refresh for as long (240 ms for a
        // million rows). In the index's order, LIMIT stops after a few entries.
        var store = (SqliteSessionStore)Store;
        await using var connection = await store.OpenConnectionAsync(CancellationToken.None);

        var plan = (await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>(
            "EXPLAIN QUERY PLAN " + SqliteSessionStore.TakeOutbox, new { Now = 0L, TakenUntil = 0L, Max = 8 })).Select(row => row.Detail).ToList();

        Assert.Contains(plan, detail => detail.Contains("ix_webhook_outbox_next_attempt_at", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, detail => detail.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

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

    [SkippableFact]
    public async Task Initialize_FileAtAnOlderSchemaVersion_AppliesTheMissingSteps()
    {
        // A restart that finds the schema current skips the migration transactions; one that finds an older file
        // must still upgrade it.
        var store = (SqliteSessionStore)Store;
        await using (var connection = await store.OpenConnectionAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("DROP TABLE revocations; PRAGMA user_version = 1;");
            // The steps after 1 are applied again: undo what they added besides the revocations.
            await connection.ExecuteAsync("""
                DROP TABLE webhook_outbox; DROP INDEX ix_session_events_occurred_at;
                ALTER TABLE sessions DROP COLUMN created_address; ALTER TABLE sessions DROP COLUMN created_user_agent;
                ALTER TABLE sessions DROP COLUMN refreshed_address; ALTER TABLE sessions DROP COLUMN refreshed_user_agent;
                ALTER TABLE session_events DROP COLUMN client_address; ALTER TABLE session_events DROP COLUMN user_agent;
                """);
        }

        using var restarted = new SqliteSessionStore(_database.StoreOptions());
        await restarted.InitializeAsync(CancellationToken.None);
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await restarted.CreateAsync(new SessionRecord("a", "user-1", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now), CancellationToken.None);
        await restarted.RevokeAsync("a", now.AddHours(1), new AuditEntry("revoked", now), CancellationToken.None);

        await using var check = await restarted.OpenConnectionAsync(CancellationToken.None);
        Assert.Equal(SqliteSchema.LatestVersion, await check.ExecuteScalarAsync<long>("PRAGMA user_version;"));
        Assert.Equal("a", Assert.Single(await restarted.ListRevocationsAsync(now, CancellationToken.None)).SessionHandle);
    }

    [SkippableFact]
    public async Task Initialize_FileOfTheVersionBeforeSessionManagement_KeepsItsRowsWithoutClients()
    {
        // A file as the previous release left it (steps 1 and 2), with a session and an audit event in it.
        using var database = new TempDatabase();
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var connection = new SqliteConnection(SqliteSessionStore.BuildConnectionString(database.FilePath)))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync(SqliteSchema.Step(1));
            await connection.ExecuteAsync(SqliteSchema.Step(2) + "PRAGMA user_version = 2;");
            await connection.ExecuteAsync(
                """
                INSERT INTO sessions (handle, user_id, custom_claims, anti_csrf_token, current_hash, previous_hash, rotated_at, expires_at, created_at)
                VALUES ('old', 'user-1', '{}', NULL, 'h1', 'h0', @Rotated, @Expires, @Created);
                INSERT INTO session_events (kind, user_id, session_handle, occurred_at) VALUES ('signed-out', 'user-1', 'gone', @Created);
                """,
                new { Rotated = now.AddMinutes(5).ToUnixTimeMilliseconds(), Expires = now.AddDays(30).ToUnixTimeMilliseconds(), Created = now.ToUnixTimeMilliseconds() });
        }

        using var store = new SqliteSessionStore(database.StoreOptions());
        await store.InitializeAsync(CancellationToken.None);

        Assert.Equal(
            new SessionRecord("old", "user-1", "{}", null, "h1", "h0", now.AddMinutes(5), now.AddDays(30), now),
            await store.FindAsync("old", CancellationToken.None));
        var listed = Assert.Single(await store.ListForUserAsync("user-1", CancellationToken.None));
        Assert.Equal(((ClientInfo?)null, (ClientInfo?)null), (listed.CreatedBy, listed.RefreshedBy));
        var audit = Assert.Single(await store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), CancellationToken.None));
        Assert.Equal(("signed-out", "gone", now, (ClientInfo?)null), (audit.Kind, audit.SessionHandle, audit.OccurredAt, audit.Client));
        Assert.True(audit.Id > 0);

        // What the new step added works on the migrated file.
        var client = new ClientInfo("192.0.2.1", "curl/8");
        Assert.Equal(client, (await store.TryRotateAsync("old", "h1", "h2", now.AddMinutes(6), now.AddDays(30), SessionLimits.None, client, CancellationToken.None))!.RefreshedBy);
        await store.RevokeAsync("old", now.AddHours(1), new AuditEntry("revoked", now.AddMinutes(7), client, "msg_1"), CancellationToken.None);
        var queued = Assert.Single(await store.TakeWebhooksAsync(now.AddMinutes(7), now.AddMinutes(8), 10, CancellationToken.None));
        Assert.True(queued.Event.Id > audit.Id);
    }

    [SkippableFact]
    public async Task TakeWebhooks_AnOutboxRowWhoseEventIsGone_IsDeletedAndNotReturned()
    {
        var store = (SqliteSessionStore)Store;
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await store.CreateAsync(new SessionRecord("a", "user-1", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now, null, "msg_a"), CancellationToken.None);
        await store.CreateAsync(new SessionRecord("b", "user-1", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now, null, "msg_b"), CancellationToken.None);
        await using (var connection = await store.OpenConnectionAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("DELETE FROM session_events WHERE session_handle = 'a';");
        }

        Assert.Equal(["msg_b"], (await store.TakeWebhooksAsync(now, now.AddMinutes(1), 10, CancellationToken.None)).Select(w => w.WebhookId));

        await using var check = await store.OpenConnectionAsync(CancellationToken.None);
        Assert.Equal(["msg_b"], await check.QueryAsync<string>("SELECT webhook_id FROM webhook_outbox;"));
    }

    [SkippableFact]
    public async Task Rotations_ManyInARow_KeepTheLogBoundedAndEveryRotationReadable()
    {
        // Past two of the writer's own checkpoints, with background checkpoints between them.
        var store = (SqliteSessionStore)Store;
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await store.CreateAsync(new SessionRecord("a", "user-1", "{}", null, "h0", null, null, now.AddDays(30), now), new AuditEntry("created", now), CancellationToken.None);
        var rotations = 2 * SqliteSessionStore.WriterAutoCheckpointPages;
        for (var i = 1; i <= rotations; i++)
        {
            var rotated = await store.TryRotateAsync("a", "h" + (i - 1), "h" + i, now.AddMilliseconds(i), now.AddDays(30), SessionLimits.None, null, CancellationToken.None);
            Assert.NotNull(rotated);
        }

        // The log is restarted from its beginning after a full checkpoint, so it stays near the writer's auto-checkpoint
        // threshold (a frame is a page and a 24-byte header). Never restarted, these rotations (a few pages each) would
        // leave several times the threshold. Half the threshold of slack: a writer checkpoint that meets a background
        // one running is BUSY and retried at a later commit, and how many commits land meanwhile depends on the machine.
        await using var connection = await store.OpenConnectionAsync(CancellationToken.None);
        var pageSize = await connection.ExecuteScalarAsync<long>("PRAGMA page_size;");
        var log = new FileInfo(_database.FilePath + "-wal");
        Assert.True(log.Length <= SqliteSessionStore.WriterAutoCheckpointPages * 3 / 2 * (pageSize + 24) + 32, $"log of {log.Length} bytes");
        Assert.Equal("h" + rotations, (await store.FindAsync("a", CancellationToken.None))!.CurrentHash);
    }

    [SkippableFact]
    public async Task BackgroundCheckpoint_AfterItsShareOfWrites_CopiesTheLogIntoTheFile()
    {
        var store = (SqliteSessionStore)Store;
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < SqliteSessionStore.CommitsPerBackgroundCheckpoint; i++)
        {
            await store.CreateAsync(new SessionRecord("s" + i, "user-1", "{}", null, "h", null, null, now.AddDays(30), now), new AuditEntry("created", now), CancellationToken.None);
        }

        // The writer's own checkpoint is far off (a create writes a few pages): the file grows to the database's size
        // only when the background checkpoint, started by the last create, has copied the log into it. It runs on
        // the thread pool: wait for it, boundedly. Reading page_count copies nothing.
        await using var connection = await store.OpenConnectionAsync(CancellationToken.None);
        var size = await connection.ExecuteScalarAsync<long>("PRAGMA page_count;") * await connection.ExecuteScalarAsync<long>("PRAGMA page_size;");
        var file = new FileInfo(_database.FilePath);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (file.Length < size && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            file.Refresh();
        }

        Assert.Equal(size, file.Length);
    }

    [SkippableTheory]
    [InlineData("sessions.db")]
    [InlineData("Data Source=sessions.db")]
    public void BuildConnectionString_PathOrFullString_NamesTheFile(string configured)
    {
        Assert.Contains("Data Source=sessions.db", SqliteSessionStore.BuildConnectionString(configured));
    }
}
