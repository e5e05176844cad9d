using Dapper;
using Npgsql;
using SessionGateway.Storage;
using SessionGateway.Testing;

namespace SessionGateway.Tests.Engine.Storage;

/// <summary>
/// The audit trail on PostgreSQL, where an event's id is drawn before its transaction commits: a client following the
/// trail with the cursor must never pass an event that is still to show (the reviewer's reproduction: a transaction
/// that wrote id 1 commits after id 2 was listed; after=2 would skip it for good).
/// </summary>
[Collection(ClusterWideCollection.Name)]
public sealed class PostgresEventOrderTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken Ct = CancellationToken.None;

    private string? _connectionString;
    private PostgresSessionStore? _store;

    public async Task InitializeAsync()
    {
        if (PostgresTestServer.ConnectionString is null)
        {
            return;
        }

        _connectionString = await PostgresTestServer.CreateSchemaAsync();
        _store = new PostgresSessionStore(new SessionStoreOptions { Provider = StoreProvider.Postgres, ConnectionString = _connectionString });
        await _store.InitializeAsync(Ct);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        if (_connectionString is not null)
        {
            PostgresTestServer.DropSchema(_connectionString);
        }
    }

    public void Dispose() => _store?.Dispose();

    [SkippableFact]
    public async Task ListEvents_AnEventWhoseTransactionIsOpen_IsNeverPassed_AndFollowsTheCursorOnceCommitted()
    {
        PostgresTestServer.RequireConnectionString();
        var store = _store!;
        await CreateAsync(store, "before");

        // Another writer: its event takes the next id, and its transaction stays open.
        await using var held = new NpgsqlConnection(_connectionString);
        await held.OpenAsync(Ct);
        await using var transaction = await held.BeginTransactionAsync(Ct);
        await held.ExecuteAsync(
            "INSERT INTO session_events (kind, user_id, session_handle, occurred_at) VALUES ('created', 'user-1', 'held', @Now);",
            new { Now }, transaction);

        // A later event through the store: a higher id, committed and visible at once.
        await CreateAsync(store, "later");
        await using (var reader = new NpgsqlConnection(_connectionString))
        {
            Assert.Equal(["before", "later"], await reader.QueryAsync<string>("SELECT session_handle FROM session_events ORDER BY id;"));
        }

        // The page stops before "later": a cursor past it would pass "held", which can still commit.
        var first = await store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct);
        Assert.Equal(["before"], first.Select(e => e.SessionHandle));
        var cursor = first[^1].Cursor;
        Assert.Empty(await store.ListEventsAsync(new EventQuery(cursor, 10), Ct));

        await transaction.CommitAsync(Ct);

        // From the cursor handed out before the commit: the held event, then the later one. Nothing skipped.
        var next = await store.ListEventsAsync(new EventQuery(cursor, 10), Ct);
        Assert.Equal(["held", "later"], next.Select(e => e.SessionHandle));
        Assert.Empty(await store.ListEventsAsync(new EventQuery(next[^1].Cursor, 10), Ct));
        Assert.True(next[0].Id < next[1].Id);
        Assert.Equal(
            ["before", "held", "later"],
            (await store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct)).Select(e => e.SessionHandle));
    }

    [SkippableFact]
    public async Task ListEvents_ATransactionThatWritesItsEventLate_IsNotPassedEither()
    {
        PostgresTestServer.RequireConnectionString();
        var store = _store!;

        // A transaction that has written something else first (it has a transaction id) and appends its event later.
        await using var held = new NpgsqlConnection(_connectionString);
        await held.OpenAsync(Ct);
        await using var transaction = await held.BeginTransactionAsync(Ct);
        await held.ExecuteAsync("CREATE TEMPORARY TABLE scratch (x int); INSERT INTO scratch VALUES (1);", transaction: transaction);

        await CreateAsync(store, "first");
        Assert.Empty(await store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct));

        await held.ExecuteAsync(
            "INSERT INTO session_events (kind, user_id, session_handle, occurred_at) VALUES ('created', 'user-1', 'late', @Now);",
            new { Now }, transaction);
        await transaction.CommitAsync(Ct);

        // The late event has the higher id but the older transaction: it comes first, and nothing was passed.
        var all = await store.ListEventsAsync(new EventQuery(EventCursor.Start, 10), Ct);
        Assert.Equal(["late", "first"], all.Select(e => e.SessionHandle));
        Assert.True(all[0].Id > all[1].Id);
    }

    [SkippableFact]
    public async Task ListEvents_PagesOfOne_FollowTransactionOrder_AndABareIdListsHigherIds()
    {
        PostgresTestServer.RequireConnectionString();
        var store = _store!;
        for (var i = 0; i < 4; i++)
        {
            await CreateAsync(store, "s" + i);
        }

        var paged = new List<SessionAuditEvent>();
        var after = EventCursor.Start;
        while (await store.ListEventsAsync(new EventQuery(after, 1), Ct) is { Count: 1 } page)
        {
            paged.Add(page[0]);
            after = page[0].Cursor;
        }

        Assert.Equal(["s0", "s1", "s2", "s3"], paged.Select(e => e.SessionHandle));
        Assert.All(paged, e => Assert.True(e.Position > 0));
        Assert.Equal(["s2", "s3"], (await store.ListEventsAsync(new EventQuery(EventCursor.AfterId(paged[1].Id), 10), Ct)).Select(e => e.SessionHandle));
    }

    private static Task CreateAsync(PostgresSessionStore store, string handle) => store.CreateAsync(
        new SessionRecord(handle, "user-1", "{}", null, "h0", null, null, Now.AddDays(30), Now), new AuditEntry("created", Now), Ct);
}
