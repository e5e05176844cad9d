using System.Buffers;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Keys;
using SQLitePCL;

namespace SessionGateway.Storage;

/// <summary>
/// SQLite backend: WAL journal with synchronous=NORMAL (a killed process loses no commit). The store keeps one
/// connection open for the life of the process, configured once, and runs every operation on it in turn: SQLite
/// lets one writer in at a time anyway, and taking turns in memory costs nothing, whereas several connections would
/// meet on the file lock and wait in SQLite's busy handler, which sleeps in whole milliseconds. The statements of
/// the refresh path are prepared once and run again with new values. Operations are synchronous (SQLite's
/// asynchronous calls complete synchronously anyway) and short: every write is a single statement or one short
/// IMMEDIATE transaction. Checkpoints (copying the log into the file, with its two fsyncs) run in the background on a
/// connection of their own, so a commit rarely waits for one; see <see cref="CommitsPerBackgroundCheckpoint"/>. Times
/// are stored as unix milliseconds. The file and its WAL and shared-memory files are readable by their owner only
/// (<see cref="SqliteFilePermissions"/>).
/// </summary>
internal sealed partial class SqliteSessionStore(SessionStoreOptions options, ILogger<SqliteSessionStore>? logger = null) : ISessionStore, IDisposable
{
    private readonly string _connectionString = BuildConnectionString(options.EffectiveConnectionString, options.BusyTimeout);
    private readonly string _openPragmas = string.Create(
        CultureInfo.InvariantCulture,
        $"PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint={WriterAutoCheckpointPages}; PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys=ON;");

    /// <summary>
    /// Writes after which a background checkpoint runs: on its own connection, outside the operations' turns, so the
    /// copying and the fsyncs of the file happen while commits go on.
    /// </summary>
    internal const int CommitsPerBackgroundCheckpoint = 1000;

    /// <summary>
    /// Log pages after which the committing connection checkpoints by itself (SQLite's own auto-checkpoint). This is what
    /// restarts the log from its beginning (which needs a moment with the whole log copied and no commit in between), so
    /// it bounds the log's size; the background checkpoints before it leave it little to copy. A commit that meets it
    /// waits for the rest of the log to be copied and two fsyncs (SQLite's default of 1,000 pages had every 400th
    /// rotation or so do that).
    /// </summary>
    internal const int WriterAutoCheckpointPages = 10_000;

    // Waiting for our turn is bounded like waiting for SQLite's lock: by the command timeout (whole seconds, at least 1).
    private readonly TimeSpan _turnTimeout = TimeSpan.FromSeconds(CommandTimeoutSeconds(options.BusyTimeout));
    private readonly Lock _turn = new();
    private SqliteConnection? _connection;
    private Statements? _statements;
    private volatile bool _disposed;
    private int _commitsSinceCheckpoint;

    // The background checkpoint: at most one queued or running; its connection is used under its own lock only.
    private readonly Lock _checkpointGate = new();
    private SqliteConnection? _checkpointConnection;
    private int _checkpointPending;

    internal static string BuildConnectionString(string configured, TimeSpan? busyTimeout = null)
    {
        // A bare path is the common configuration; anything with '=' is taken as a full connection string.
        var builder = configured.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(configured)
            : new SqliteConnectionStringBuilder { DataSource = configured };
        builder.Pooling = true;
        if (busyTimeout is { } timeout)
        {
            // Microsoft.Data.Sqlite retries SQLITE_BUSY by itself until the command timeout (30 s by default),
            // whatever PRAGMA busy_timeout says; so the command timeout is what bounds a wait for the lock.
            // It counts whole seconds, and 0 would mean "wait forever".
            builder.DefaultTimeout = CommandTimeoutSeconds(timeout);
        }

        return builder.ConnectionString;
    }

    private static int CommandTimeoutSeconds(TimeSpan busyTimeout) => Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds));

    /// <summary>A new connection with the store's pragmas; the caller owns it.</summary>
    private SqliteConnection Open(bool pooled)
    {
        // The store's own connection is not pooled: it is never returned, and disposing the store closes the file.
        var connection = new SqliteConnection(pooled ? _connectionString : new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ConnectionString);
        try
        {
            connection.Open();
            using var pragmas = Command(connection, _openPragmas);
            pragmas.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits for this thread's turn on the store's connection (opened on first use) and holds it until the returned
    /// value is disposed. Waiting longer than the busy timeout is an outage (<see cref="TimeoutException"/>).
    /// </summary>
    private Turn Enter(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_turn.TryEnter(_turnTimeout))
        {
            throw new TimeoutException("The SQLite session store stayed busy longer than Session:Store:BusyTimeout.");
        }

        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection ??= Open(pooled: false);
            _statements ??= new Statements(_connection);
            return new Turn(this);
        }
        catch
        {
            _turn.Exit();
            throw;
        }
    }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Before the first open: SQLite would create the file 0644 and its WAL and shared-memory files alike.
        SqliteFilePermissions.Secure(_connectionString, (ILogger?)logger ?? NullLogger.Instance);
        return Run(this, static (turn, _) =>
        {
            SqliteSchema.Migrate(turn.Connection);
            return true;
        }, 0, cancellationToken);
    }

    private const string InsertSession = """
        INSERT INTO sessions (handle, user_id, custom_claims, anti_csrf_token, current_hash, previous_hash, rotated_at, expires_at, created_at,
                              created_address, created_user_agent)
        VALUES (@Handle, @UserId, @CustomClaims, @AntiCsrfToken, @CurrentHash, @PreviousHash, @RotatedAt, @ExpiresAt, @CreatedAt,
                @CreatedAddress, @CreatedUserAgent);
        """;

    private const string InsertEvent = """
        INSERT INTO session_events (kind, user_id, session_handle, occurred_at, client_address, user_agent)
        VALUES (@Kind, @UserId, @Handle, @OccurredAt, @ClientAddress, @UserAgent);
        """;

    // The event inserted just before, on the same connection in the same transaction: no id to read back and bind.
    private const string InsertOutbox = """
        INSERT INTO webhook_outbox (webhook_id, event_id, attempts, next_attempt_at, taken_until)
        VALUES (@WebhookId, last_insert_rowid(), 0, @NextAttemptAt, NULL);
        """;

    public Task CreateAsync(SessionRecord session, AuditEntry created, CancellationToken cancellationToken) => Run(this, static (turn, state) =>
    {
        var (session, created) = state;
        var statements = turn.Statements;
        // One short IMMEDIATE transaction of prepared statements: the session, its "created" event and, when a webhook
        // is to be sent, the outbox row, so a crash never keeps one without the others.
        statements.Begin();
        try
        {
            var insert = statements.Insert;
            try
            {
                insert.BindText(1, session.Handle);
                insert.BindText(2, session.UserId);
                insert.BindText(3, session.CustomClaimsJson);
                insert.BindText(4, session.AntiCsrfToken);
                insert.BindText(5, session.CurrentHash);
                insert.BindText(6, session.PreviousHash);
                insert.BindInt64(7, session.RotatedAt?.ToUnixTimeMilliseconds());
                insert.BindInt64(8, session.ExpiresAt.ToUnixTimeMilliseconds());
                insert.BindInt64(9, session.CreatedAt.ToUnixTimeMilliseconds());
                insert.BindText(10, session.CreatedBy?.Address);
                insert.BindText(11, session.CreatedBy?.UserAgent);
                insert.StepToEnd();
            }
            finally
            {
                insert.Reset();
            }

            AppendEvent(statements, created, session.UserId, session.Handle);
            statements.Commit();
        }
        catch
        {
            statements.RollbackIfOpen();
            throw;
        }

        turn.Committed();
        return true;
    }, (session, created), cancellationToken);

    /// <summary>Appends an audit event and, when it has a webhook id, its outbox row; inside the caller's transaction.</summary>
    private static void AppendEvent(Statements statements, AuditEntry audit, string userId, string handle)
    {
        var insert = statements.InsertEvent;
        try
        {
            insert.BindText(1, audit.Kind);
            insert.BindText(2, userId);
            insert.BindText(3, handle);
            insert.BindInt64(4, audit.OccurredAt.ToUnixTimeMilliseconds());
            insert.BindText(5, audit.Client?.Address);
            insert.BindText(6, audit.Client?.UserAgent);
            insert.StepToEnd();
        }
        finally
        {
            insert.Reset();
        }

        if (audit.WebhookId is null)
        {
            return;
        }

        var queue = statements.InsertOutbox;
        try
        {
            queue.BindText(1, audit.WebhookId);
            queue.BindInt64(2, audit.OccurredAt.ToUnixTimeMilliseconds());
            queue.StepToEnd();
        }
        finally
        {
            queue.Reset();
        }
    }

    private const string SessionColumns = """
        handle AS Handle, user_id AS UserId, custom_claims AS CustomClaims, anti_csrf_token AS AntiCsrfToken,
        current_hash AS CurrentHash, previous_hash AS PreviousHash, rotated_at AS RotatedAt,
        expires_at AS ExpiresAt, created_at AS CreatedAt, created_address AS CreatedAddress, created_user_agent AS CreatedUserAgent,
        refreshed_address AS RefreshedAddress, refreshed_user_agent AS RefreshedUserAgent
        """;

    private const string SelectSession = "SELECT " + SessionColumns + " FROM sessions WHERE handle = @Handle;";

    public Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) => Run(this, static (turn, handle) =>
    {
        var statement = turn.Statements.Find;
        try
        {
            statement.BindText(1, handle);
            if (!statement.Step())
            {
                return null;
            }

            var session = new SessionRecord(
                statement.ReadText(0)!,
                statement.ReadText(1)!,
                statement.ReadText(2)!,
                statement.ReadText(3),
                statement.ReadText(4)!,
                statement.ReadText(5),
                statement.ReadTime(6),
                statement.ReadTime(7)!.Value,
                statement.ReadTime(8)!.Value)
            {
                CreatedBy = ClientInfo.Of(statement.ReadText(9), statement.ReadText(10)),
                RefreshedBy = ClientInfo.Of(statement.ReadText(11), statement.ReadText(12)),
            };
            statement.StepToEnd();
            return session;
        }
        finally
        {
            statement.Reset();
        }
    }, handle, cancellationToken);

    // RETURNING what the statement does not already know: the WHERE makes the handle, the new current hash and the new
    // previous hash (the presented one) the values bound, and the refresh's client is the one bound. Not the login
    // client: the refresh path does not need it, and reading it would allocate on every rotation.
    private const string RotateSession = """
        UPDATE sessions
        SET previous_hash = current_hash, current_hash = @NextHash, rotated_at = @Now,
            expires_at = CASE WHEN @Capped THEN MIN(@ExpiresAt, created_at + @MaxAge) ELSE @ExpiresAt END,
            refreshed_address = @RefreshedAddress, refreshed_user_agent = @RefreshedUserAgent
        WHERE handle = @Handle AND current_hash = @PresentedHash AND expires_at > @Now
          AND COALESCE(rotated_at, created_at) > @ActiveAfter AND created_at > @CreatedAfter
        RETURNING user_id, custom_claims, anti_csrf_token, rotated_at, expires_at, created_at;
        """;

    public Task<SessionRecord?> TryRotateAsync(
        string handle,
        string presentedHash,
        string nextHash,
        DateTimeOffset now,
        DateTimeOffset newExpiresAt,
        SessionLimits limits,
        ClientInfo? client,
        CancellationToken cancellationToken) => Run(
        this,
        static (turn, rotation) =>
        {
            // Positions as the statement's parameters first appear (checked against the names at prepare).
            var statement = turn.Statements.Rotate;
            try
            {
                statement.BindText(1, rotation.NextHash);
                statement.BindInt64(2, rotation.Now.ToUnixTimeMilliseconds());
                statement.BindInt64(3, rotation.Limits.AbsoluteLifetime is null ? 0 : 1);
                statement.BindInt64(4, rotation.NewExpiresAt.ToUnixTimeMilliseconds());
                statement.BindInt64(5, (long)(rotation.Limits.AbsoluteLifetime ?? TimeSpan.Zero).TotalMilliseconds);
                statement.BindText(6, rotation.Client?.Address);
                statement.BindText(7, rotation.Client?.UserAgent);
                statement.BindText(8, rotation.Handle);
                statement.BindText(9, rotation.PresentedHash);
                statement.BindInt64(10, rotation.Limits.ActiveAfter(rotation.Now).ToUnixTimeMilliseconds());
                statement.BindInt64(11, rotation.Limits.CreatedAfter(rotation.Now).ToUnixTimeMilliseconds());
                if (!statement.Step())
                {
                    return null;
                }

                var session = new SessionRecord(
                    rotation.Handle,
                    statement.ReadText(0)!,
                    statement.ReadText(1)!,
                    statement.ReadText(2),
                    rotation.NextHash,
                    rotation.PresentedHash,
                    statement.ReadTime(3),
                    statement.ReadTime(4)!.Value,
                    statement.ReadTime(5)!.Value)
                {
                    RefreshedBy = rotation.Client,
                };

                // The update commits when the statement finishes: a failing commit throws here.
                statement.StepToEnd();
                turn.Committed();
                return session;
            }
            finally
            {
                statement.Reset();
            }
        },
        new Rotation(handle, presentedHash, nextHash, now, newExpiresAt, limits, client),
        cancellationToken);

    private readonly record struct Rotation(
        string Handle, string PresentedHash, string NextHash, DateTimeOffset Now, DateTimeOffset NewExpiresAt, SessionLimits Limits, ClientInfo? Client);

    private const string DeleteSession = "DELETE FROM sessions WHERE handle = @Handle RETURNING user_id;";
    private const string DeleteOwnedSession = "DELETE FROM sessions WHERE handle = @Handle AND user_id = @UserId RETURNING user_id;";
    private const string DeleteForUser = "DELETE FROM sessions WHERE user_id = @UserId RETURNING handle;";
    private const string InsertRevocation = "INSERT INTO revocations (handle, refuse_until) VALUES (@Handle, @RefuseUntil);";

    public Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) => Run(
        this,
        static (turn, revocation) =>
        {
            // Microsoft.Data.Sqlite begins IMMEDIATE transactions: the write lock is taken up front, never upgraded midway.
            using var transaction = turn.Connection.BeginTransaction();
            var userId = turn.Connection.ExecuteScalar<string?>(DeleteSession, new { Handle = revocation.Handle }, transaction);
            RecordRevocation(turn, transaction, revocation.Handle, userId, revocation.RefuseUntil, revocation.Audit);
            transaction.Commit();
            turn.Committed();
            return userId;
        },
        new RevocationWrite(handle, refuseUntil, audit),
        cancellationToken);

    public Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) =>
        {
            using var transaction = turn.Connection.BeginTransaction();
            var deleted = turn.Connection.ExecuteScalar<string?>(
                DeleteOwnedSession, new { Handle = state.Revocation.Handle, UserId = state.UserId }, transaction);
            if (deleted is null)
            {
                // Unknown, or someone else's: nothing is written, not even the revocation row.
                transaction.Rollback();
                return false;
            }

            RecordRevocation(turn, transaction, state.Revocation.Handle, deleted, state.Revocation.RefuseUntil, state.Revocation.Audit);
            transaction.Commit();
            turn.Committed();
            return true;
        },
        (UserId: userId, Revocation: new RevocationWrite(handle, refuseUntil, audit)),
        cancellationToken);

    public Task<IReadOnlyList<string>> RevokeAllForUserAsync(
        string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken) => Run<(string UserId, RevocationWrite Revocation, Func<string>? WebhookId), IReadOnlyList<string>>(
        this,
        static (turn, state) =>
        {
            using var transaction = turn.Connection.BeginTransaction();
            var handles = turn.Connection.Query<string>(DeleteForUser, new { state.UserId }, transaction).AsList();
            foreach (var handle in handles)
            {
                // One event per session, each queued under its own webhook id (receivers deduplicate on it).
                var audit = state.WebhookId is { } next ? state.Revocation.Audit with { WebhookId = next() } : state.Revocation.Audit with { WebhookId = null };
                RecordRevocation(turn, transaction, handle, state.UserId, state.Revocation.RefuseUntil, audit);
            }

            transaction.Commit();
            turn.Committed();
            return handles;
        },
        (userId, new RevocationWrite("", refuseUntil, audit), webhookId),
        cancellationToken);

    private readonly record struct RevocationWrite(string Handle, DateTimeOffset RefuseUntil, AuditEntry Audit);

    /// <summary>The revocation row and, when the session existed, its audit event (and outbox row); in <paramref name="transaction"/>.</summary>
    private static void RecordRevocation(Turn turn, SqliteTransaction transaction, string handle, string? userId, DateTimeOffset refuseUntil, AuditEntry audit)
    {
        turn.Connection.Execute(InsertRevocation, new { Handle = handle, RefuseUntil = refuseUntil.ToUnixTimeMilliseconds() }, transaction);
        if (userId is not null)
        {
            // The prepared statements run on the same connection, so inside the transaction Microsoft.Data.Sqlite began.
            AppendEvent(turn.Statements, audit, userId, handle);
        }
    }

    private const string SelectRevocations = """
        SELECT handle AS SessionHandle, refuse_until AS RefuseUntil FROM revocations WHERE refuse_until > @Now ORDER BY id;
        """;

    public Task<IReadOnlyList<Revocation>> ListRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken) => Run<DateTimeOffset, IReadOnlyList<Revocation>>(
        this,
        static (turn, now) =>
        {
            // Read at every start: plain ADO.NET (see Command).
            using var command = Command(turn.Connection, SelectRevocations);
            command.Parameters.AddWithValue("@Now", now.ToUnixTimeMilliseconds());
            using var reader = command.ExecuteReader();
            var result = new List<Revocation>();
            while (reader.Read())
            {
                result.Add(new Revocation(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
            }

            return result;
        },
        now,
        cancellationToken);

    private const string DeleteExpiredRevocations = """
        DELETE FROM revocations
        WHERE id IN (SELECT id FROM revocations WHERE refuse_until <= @Now LIMIT @BatchSize);
        """;

    public Task<int> DeleteExpiredRevocationsAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) => turn.Connection.Execute(DeleteExpiredRevocations, new { Now = state.now.ToUnixTimeMilliseconds(), BatchSize = state.batchSize }),
        (now, batchSize),
        cancellationToken);

    private const string SelectForUser = "SELECT " + SessionColumns + " FROM sessions WHERE user_id = @UserId ORDER BY created_at, handle;";

    public Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) => Run<string, IReadOnlyList<SessionRecord>>(
        this,
        static (turn, userId) =>
        {
            var result = new List<SessionRecord>();
            foreach (var row in turn.Connection.Query<SessionRow>(SelectForUser, new { UserId = userId }))
            {
                result.Add(row.ToRecord());
            }

            return result;
        },
        userId,
        cancellationToken);

    // A bounded DELETE keeps each write transaction short so refreshes never queue behind a large sweep.
    private const string DeleteExpired = """
        DELETE FROM sessions
        WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at <= @Now LIMIT @BatchSize);
        """;

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) => turn.Connection.Execute(DeleteExpired, new { Now = state.now.ToUnixTimeMilliseconds(), BatchSize = state.batchSize }),
        (now, batchSize),
        cancellationToken);

    private const string EventColumns = """
        id AS Id, kind AS Kind, user_id AS UserId, session_handle AS SessionHandle, occurred_at AS OccurredAt,
        client_address AS ClientAddress, user_agent AS UserAgent
        """;

    private const string SelectEvents = "SELECT " + EventColumns + " FROM session_events WHERE user_id = @UserId ORDER BY id;";

    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) => Run<string, IReadOnlyList<SessionAuditEvent>>(
        this,
        static (turn, userId) => ToEvents(turn.Connection.Query<EventRow>(SelectEvents, new { UserId = userId })),
        userId,
        cancellationToken);

    public Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => Run<EventQuery, IReadOnlyList<SessionAuditEvent>>(
        this,
        static (turn, query) =>
        {
            // Only the filters asked for, so each page is a range scan of the primary key (or of the time index). The
            // position is the id here, so a cursor is its id (a bare id included).
            var sql = new StringBuilder("SELECT ").Append(EventColumns).Append(" FROM session_events WHERE id > @AfterId");
            if (query.Since is not null)
            {
                sql.Append(" AND occurred_at >= @Since");
            }

            if (query.Kinds is not null)
            {
                // Dapper expands the list into one parameter per kind; an empty list matches nothing.
                sql.Append(" AND kind IN @Kinds");
            }

            if (query.UserId is not null)
            {
                sql.Append(" AND user_id = @UserId");
            }

            sql.Append(" ORDER BY id LIMIT @Limit;");
            return ToEvents(turn.Connection.Query<EventRow>(
                sql.ToString(),
                new
                {
                    AfterId = query.After.Id,
                    Since = query.Since?.ToUnixTimeMilliseconds(),
                    Kinds = query.Kinds ?? [],
                    query.UserId,
                    Limit = Math.Max(0, query.Limit),
                }));
        },
        query,
        cancellationToken);

    private static List<SessionAuditEvent> ToEvents(IEnumerable<EventRow> rows)
    {
        var result = new List<SessionAuditEvent>();
        foreach (var row in rows)
        {
            result.Add(row.ToEvent());
        }

        return result;
    }

    // Bounded like the session sweep; an event still waiting in the outbox stays until its webhook is done with.
    private const string DeleteOldEvents = """
        DELETE FROM session_events
        WHERE id IN (
            SELECT e.id FROM session_events e
            WHERE e.occurred_at < @Before AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.event_id = e.id)
            LIMIT @BatchSize);
        """;

    public Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) =>
        {
            var deleted = turn.Connection.Execute(DeleteOldEvents, new { Before = state.before.ToUnixTimeMilliseconds(), BatchSize = state.batchSize });
            turn.Committed();
            return deleted;
        },
        (before, batchSize),
        cancellationToken);

    // The longest due first, in the order of the index on next_attempt_at, so a take reads a few index entries however long
    // the outbox has grown (ORDER BY event_id sorted every due row: 240 ms for a million, in the write lock, every second,
    // when a receiver is down for long with session.created sent). A fresh row is due at its event's time, so first
    // attempts still go oldest event first. SQLite has one writer at a time (across processes too): the UPDATE's read and write of the
    // rows are one atomic step, so two takers never mark the same row.
    internal const string TakeOutbox = """
        UPDATE webhook_outbox SET taken_until = @TakenUntil
        WHERE webhook_id IN (
            SELECT webhook_id FROM webhook_outbox
            WHERE next_attempt_at <= @Now AND (taken_until IS NULL OR taken_until <= @Now)
            ORDER BY next_attempt_at LIMIT @Max)
        RETURNING webhook_id AS WebhookId, attempts AS Attempts, event_id AS EventId;
        """;

    private const string SelectTakenEvents = "SELECT " + EventColumns + " FROM session_events WHERE id IN @Ids;";
    private const string DeleteOutboxRows = "DELETE FROM webhook_outbox WHERE webhook_id IN @WebhookIds;";

    public Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken) => Run<(DateTimeOffset Now, DateTimeOffset TakenUntil, int Max), IReadOnlyList<QueuedWebhook>>(
        this,
        static (turn, state) =>
        {
            using var transaction = turn.Connection.BeginTransaction();
            var taken = turn.Connection.Query<OutboxRow>(
                TakeOutbox,
                new { Now = state.Now.ToUnixTimeMilliseconds(), TakenUntil = state.TakenUntil.ToUnixTimeMilliseconds(), state.Max },
                transaction).AsList();
            if (taken.Count == 0)
            {
                transaction.Commit();
                return [];
            }

            var events = new Dictionary<long, SessionAuditEvent>();
            foreach (var row in turn.Connection.Query<EventRow>(SelectTakenEvents, new { Ids = taken.ConvertAll(row => row.EventId) }, transaction))
            {
                events[row.Id] = row.ToEvent();
            }

            var result = new List<QueuedWebhook>(taken.Count);
            List<string>? orphans = null;
            foreach (var row in taken)
            {
                if (events.TryGetValue(row.EventId, out var audit))
                {
                    result.Add(new QueuedWebhook(row.WebhookId, (int)row.Attempts, audit));
                }
                else
                {
                    // Its event is gone (deleted by hand): there is nothing left to report.
                    (orphans ??= []).Add(row.WebhookId);
                }
            }

            if (orphans is not null)
            {
                turn.Connection.Execute(DeleteOutboxRows, new { WebhookIds = orphans }, transaction);
            }

            transaction.Commit();
            turn.Committed();
            // RETURNING gives no order: oldest event first.
            result.Sort(static (a, b) => a.Event.Id.CompareTo(b.Event.Id));
            return result;
        },
        (now, takenUntil, max),
        cancellationToken);

    private const string CompleteOutboxRow = "DELETE FROM webhook_outbox WHERE webhook_id = @WebhookId;";

    public Task CompleteWebhookAsync(string webhookId, CancellationToken cancellationToken) => Run(
        this,
        static (turn, webhookId) =>
        {
            var deleted = turn.Connection.Execute(CompleteOutboxRow, new { WebhookId = webhookId });
            turn.Committed();
            return deleted;
        },
        webhookId,
        cancellationToken);

    private const string RescheduleOutboxRow = """
        UPDATE webhook_outbox SET attempts = @Attempts, next_attempt_at = @NextAttemptAt, taken_until = NULL WHERE webhook_id = @WebhookId;
        """;

    public Task RescheduleWebhookAsync(string webhookId, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) =>
        {
            var updated = turn.Connection.Execute(
                RescheduleOutboxRow, new { WebhookId = state.webhookId, Attempts = state.attempts, NextAttemptAt = state.nextAttemptAt.ToUnixTimeMilliseconds() });
            turn.Committed();
            return updated;
        },
        (webhookId, attempts, nextAttemptAt),
        cancellationToken);

    private const string SelectKeys = """
        SELECT kid AS KeyId, algorithm AS Algorithm, private_key AS PrivateKey, created_at AS CreatedAt,
               signs_from AS SignsFrom, signs_until AS SignsUntil, verify_until AS VerifyUntil
        FROM signing_keys ORDER BY signs_from, kid;
        """;

    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken) => Run<bool, IReadOnlyList<StoredSigningKey>>(
        this,
        static (turn, _) =>
        {
            // Read at every start and key refresh: plain ADO.NET (see Command).
            using var command = Command(turn.Connection, SelectKeys);
            using var reader = command.ExecuteReader();
            var result = new List<StoredSigningKey>();
            while (reader.Read())
            {
                if (!Enum.TryParse<SigningAlgorithm>(reader.GetString(1), ignoreCase: false, out var algorithm))
                {
                    // A key written by a newer version with an algorithm this one does not know: skip, do not fail.
                    continue;
                }

                result.Add(new StoredSigningKey(
                    reader.GetString(0),
                    algorithm,
                    (byte[])reader.GetValue(2),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
            }

            return result;
        },
        false,
        cancellationToken);

    // One statement: SQLite serialises writers, so the check and the insert cannot interleave with another replica's.
    private const string InsertKey = """
        INSERT INTO signing_keys (kid, algorithm, private_key, created_at, signs_from, signs_until, verify_until)
        SELECT @KeyId, @Algorithm, @PrivateKey, @CreatedAt, @SignsFrom, @SignsUntil, @VerifyUntil
        WHERE NOT EXISTS (
            SELECT 1 FROM signing_keys
            WHERE algorithm = @Algorithm AND signs_from <= @GuardUntil AND signs_until > @GuardFrom)
        ON CONFLICT DO NOTHING;
        """;

    public Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) => turn.Connection.Execute(
            InsertKey,
            new
            {
                state.key.KeyId,
                Algorithm = state.key.Algorithm.ToString(),
                state.key.PrivateKey,
                CreatedAt = state.key.CreatedAt.ToUnixTimeMilliseconds(),
                SignsFrom = state.key.SignsFrom.ToUnixTimeMilliseconds(),
                SignsUntil = state.key.SignsUntil.ToUnixTimeMilliseconds(),
                VerifyUntil = state.key.VerifyUntil.ToUnixTimeMilliseconds(),
                GuardFrom = state.unlessSigningFrom.ToUnixTimeMilliseconds(),
                GuardUntil = state.unlessSigningUntil.ToUnixTimeMilliseconds(),
            }) == 1,
        (key, unlessSigningFrom, unlessSigningUntil),
        cancellationToken);

    private const string ReplaceKey = "UPDATE signing_keys SET private_key = @PrivateKey WHERE kid = @KeyId AND private_key = @Expected;";

    public Task<bool> TryReplaceSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) => turn.Connection.Execute(ReplaceKey, new { KeyId = state.keyId, Expected = state.expected, PrivateKey = state.privateKey }) == 1,
        (keyId, expected, privateKey),
        cancellationToken);

    private const string RetireKey =
        "UPDATE signing_keys SET private_key = @PrivateKey, signs_until = @SignsUntil, verify_until = @VerifyUntil WHERE kid = @KeyId AND private_key = @Expected;";

    public Task<bool> TryRetireSigningKeyAsync(
        string keyId, byte[] expected, byte[] privateKey, DateTimeOffset signsUntil, DateTimeOffset verifyUntil, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) =>
        {
            // secure_delete: the page that held the old value is overwritten with zeros rather than left as free space.
            turn.Connection.Execute("PRAGMA secure_delete=ON;");
            try
            {
                return turn.Connection.Execute(
                    RetireKey,
                    new
                    {
                        KeyId = state.keyId,
                        Expected = state.expected,
                        PrivateKey = state.privateKey,
                        SignsUntil = state.signsUntil.ToUnixTimeMilliseconds(),
                        VerifyUntil = state.verifyUntil.ToUnixTimeMilliseconds(),
                    }) == 1;
            }
            finally
            {
                // The connection serves every later operation: leave it as it was.
                turn.Connection.Execute("PRAGMA secure_delete=OFF;");
            }
        },
        (keyId, expected, privateKey, signsUntil, verifyUntil),
        cancellationToken);

    /// <summary>
    /// Rewrites the file so no freed page keeps an old value: the write-ahead log is checkpointed into the file and
    /// truncated, <c>VACUUM</c> rebuilds the file from live rows only (with <c>secure_delete</c> on), and the log it
    /// went through is checkpointed and truncated again. Holds the store (and the write lock) for as long as the file
    /// takes to copy.
    /// </summary>
    public Task EraseFreedSpaceAsync(CancellationToken cancellationToken) => Run(
        this,
        static (turn, _) => turn.Connection.Execute(
            "PRAGMA secure_delete=ON; PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete=OFF;"),
        false,
        cancellationToken);

    // A read of a table, not "SELECT 1": it starts a read transaction on the file (and waits for the store's turn,
    // so a store stuck behind a long write is reported as one).
    private const string Ping = "SELECT count(*) FROM secrets;";

    public Task PingAsync(CancellationToken cancellationToken) => Run(
        this,
        static (turn, _) => turn.Connection.ExecuteScalar<long>(Ping),
        false,
        cancellationToken);

    private const string DeleteRetiredKeys = "DELETE FROM signing_keys WHERE verify_until <= @Now;";

    public Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) => Run(
        this,
        static (turn, now) =>
        {
            // Run at every start and key refresh: plain ADO.NET (see Command).
            using var command = Command(turn.Connection, DeleteRetiredKeys);
            command.Parameters.AddWithValue("@Now", now.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery();
        },
        now,
        cancellationToken);

    private const string InsertSecret = "INSERT INTO secrets (name, value) VALUES (@Name, @Value) ON CONFLICT (name) DO NOTHING;";
    private const string SelectSecret = "SELECT value FROM secrets WHERE name = @Name;";

    public Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) =>
        {
            // Run at every start: plain ADO.NET (see Command). Read first: the secret exists from the first start on,
            // and the insert would take the write lock for nothing.
            if (ReadSecret(turn.Connection, state.name) is { } stored)
            {
                return stored;
            }

            using (var insert = Command(turn.Connection, InsertSecret))
            {
                insert.Parameters.AddWithValue("@Name", state.name);
                insert.Parameters.AddWithValue("@Value", state.candidate);
                insert.ExecuteNonQuery();
            }

            // The candidate, or the value another replica inserted first.
            return ReadSecret(turn.Connection, state.name) ?? throw new InvalidOperationException("The refresh-token secret vanished right after it was stored.");
        },
        (name, candidate),
        cancellationToken);

    private static byte[]? ReadSecret(SqliteConnection connection, string name)
    {
        using var select = Command(connection, SelectSecret);
        select.Parameters.AddWithValue("@Name", name);
        return select.ExecuteScalar() as byte[];
    }

    /// <summary>
    /// A command for the statements every start runs (pragmas, schema, the secret, the keys, the revocations), run with
    /// plain ADO.NET: Dapper's first use of a statement emits and JIT-compiles a parameter writer and a row reader, and
    /// its first use at all compiles a regular expression, tens of milliseconds before the first answer.
    /// </summary>
    internal static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private const string ReplaceSecret = "UPDATE secrets SET value = @Value WHERE name = @Name AND value = @Expected;";

    public Task<bool> TryReplaceSecretAsync(string name, byte[] expected, byte[] value, CancellationToken cancellationToken) => Run(
        this,
        static (turn, state) => turn.Connection.Execute(ReplaceSecret, new { Name = state.name, Expected = state.expected, Value = state.value }) == 1,
        (name, expected, value),
        cancellationToken);

    /// <summary>Checks the file with <c>PRAGMA integrity_check</c>; used by tests and diagnostics.</summary>
    internal Task<string> CheckIntegrityAsync(CancellationToken cancellationToken) => Run(
        this,
        static (turn, _) => turn.Connection.ExecuteScalar<string>("PRAGMA integrity_check;") ?? string.Empty,
        false,
        cancellationToken);

    /// <summary>Opens a raw connection of its own with the store's pragmas; for diagnostics and tests only.</summary>
    internal Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Open(pooled: true));
    }

    /// <summary>Closes the store's connections; operations after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_turn)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _statements?.Dispose();
            _connection?.Dispose();
            _statements = null;
            _connection = null;
        }

        lock (_checkpointGate)
        {
            _checkpointConnection?.Dispose();
            _checkpointConnection = null;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the store's connection in this thread's turn and hands its result back as a
    /// completed task; a failure becomes a faulted task (a cancelled token before the turn, a cancelled one), as an
    /// asynchronous implementation's would.
    /// </summary>
    private static Task<TResult> Run<TState, TResult>(SqliteSessionStore store, Func<Turn, TState, TResult> work, TState state, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        try
        {
            using var turn = store.Enter(cancellationToken);
            return Task.FromResult(work(turn, state));
        }
        catch (Exception exception)
        {
            return Task.FromException<TResult>(exception);
        }
    }

    /// <summary>This thread's turn on the store's connection; disposing it lets the next one in.</summary>
    private readonly struct Turn(SqliteSessionStore store) : IDisposable
    {
        public SqliteConnection Connection => store._connection!;

        public Statements Statements => store._statements!;

        /// <summary>Counts a committed write; every <see cref="CommitsPerBackgroundCheckpoint"/>th starts a background checkpoint.</summary>
        public void Committed()
        {
            if (++store._commitsSinceCheckpoint >= CommitsPerBackgroundCheckpoint)
            {
                store._commitsSinceCheckpoint = 0;
                store.ScheduleCheckpoint();
            }
        }

        public void Dispose() => store._turn.Exit();
    }

    private void ScheduleCheckpoint()
    {
        if (Interlocked.Exchange(ref _checkpointPending, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static store => store.CheckpointInBackground(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// Copies what the log holds into the file (a PASSIVE checkpoint: it waits for no reader or writer, and commits go
    /// on meanwhile). Never throws: a failed checkpoint is logged, and the writer's own auto-checkpoint still bounds
    /// the log.
    /// </summary>
    private void CheckpointInBackground()
    {
        try
        {
            lock (_checkpointGate)
            {
                if (_disposed)
                {
                    return;
                }

                _checkpointConnection ??= Open(pooled: false);
                var result = raw.sqlite3_wal_checkpoint_v2(_checkpointConnection.Handle!, null, raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
                // BUSY: another checkpoint (the writer's own) is running; this one's work is being done.
                if (result != raw.SQLITE_OK && result != raw.SQLITE_BUSY)
                {
                    SqliteException.ThrowExceptionForRC(result, _checkpointConnection.Handle);
                }
            }
        }
        catch (Exception exception)
        {
            Log.CheckpointFailed((ILogger?)logger ?? NullLogger.Instance, exception);
        }
        finally
        {
            Volatile.Write(ref _checkpointPending, 0);
        }
    }

    /// <summary>
    /// The login and refresh path's statements, prepared on the store's connection at their first run and kept: each
    /// later run only binds new values (no parsing, no planning).
    /// </summary>
    private sealed class Statements(SqliteConnection connection) : IDisposable
    {
        public NativeStatement Insert { get; } = new(
            connection, InsertSession, "@Handle", "@UserId", "@CustomClaims", "@AntiCsrfToken", "@CurrentHash", "@PreviousHash", "@RotatedAt", "@ExpiresAt", "@CreatedAt",
            "@CreatedAddress", "@CreatedUserAgent");

        public NativeStatement InsertEvent { get; } = new(
            connection, SqliteSessionStore.InsertEvent, "@Kind", "@UserId", "@Handle", "@OccurredAt", "@ClientAddress", "@UserAgent");

        public NativeStatement InsertOutbox { get; } = new(connection, SqliteSessionStore.InsertOutbox, "@WebhookId", "@NextAttemptAt");

        // Microsoft.Data.Sqlite begins its transactions IMMEDIATE too: the write lock up front, never upgraded midway.
        private NativeStatement BeginImmediate { get; } = new(connection, "BEGIN IMMEDIATE;");

        private NativeStatement CommitTransaction { get; } = new(connection, "COMMIT;");

        private NativeStatement RollbackTransaction { get; } = new(connection, "ROLLBACK;");

        public void Begin() => RunToEnd(BeginImmediate);

        public void Commit() => RunToEnd(CommitTransaction);

        /// <summary>Rolls back the transaction <see cref="Begin"/> started, when it is still open (a failed COMMIT may have ended it already).</summary>
        public void RollbackIfOpen()
        {
            if (connection.Handle is { } database && raw.sqlite3_get_autocommit(database) == 0)
            {
                RunToEnd(RollbackTransaction);
            }
        }

        private static void RunToEnd(NativeStatement statement)
        {
            try
            {
                statement.StepToEnd();
            }
            finally
            {
                statement.Reset();
            }
        }

        public NativeStatement Find { get; } = new(connection, SelectSession, "@Handle");

        public NativeStatement Rotate { get; } = new(
            connection, RotateSession, "@NextHash", "@Now", "@Capped", "@ExpiresAt", "@MaxAge", "@RefreshedAddress", "@RefreshedUserAgent",
            "@Handle", "@PresentedHash", "@ActiveAfter", "@CreatedAfter");

        public void Dispose()
        {
            Insert.Dispose();
            Find.Dispose();
            Rotate.Dispose();
            InsertEvent.Dispose();
            InsertOutbox.Dispose();
            BeginImmediate.Dispose();
            CommitTransaction.Dispose();
            RollbackTransaction.Dispose();
        }
    }

    /// <summary>
    /// A statement run through SQLite's own interface on the store's connection: prepared at its first run, values bound
    /// by position straight from the stack, columns read without a data reader. Nothing is allocated per run besides
    /// the strings read. Errors become <see cref="SqliteException"/>s, as Microsoft.Data.Sqlite's own.
    /// </summary>
    private sealed class NativeStatement(SqliteConnection connection, string sql, params string[] parameterNames) : IDisposable
    {
        private sqlite3_stmt? _statement;

        private sqlite3 Database => connection.Handle ?? throw new InvalidOperationException("The store's connection is closed.");

        private sqlite3_stmt Statement => _statement ??= Prepare();

        private sqlite3_stmt Prepare()
        {
            Check(raw.sqlite3_prepare_v2(Database, sql, out var statement));
            // Values are bound by position: the names say which position is which, so a statement edited without its
            // list fails at its first run rather than binding a value to the wrong parameter.
            var count = raw.sqlite3_bind_parameter_count(statement);
            for (var i = 1; i <= Math.Max(count, parameterNames.Length); i++)
            {
                if (i > count || i > parameterNames.Length || raw.sqlite3_bind_parameter_name(statement, i).utf8_to_string() != parameterNames[i - 1])
                {
                    statement.Dispose();
                    throw new InvalidOperationException("A SQLite statement's parameters do not match the names it is bound with.");
                }
            }

            return statement;
        }

        public void BindText(int index, string? value)
        {
            if (value is null)
            {
                Check(raw.sqlite3_bind_null(Statement, index));
                return;
            }

            var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
            byte[]? rented = null;
            var utf8 = maxBytes <= 512 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
            try
            {
                // SQLite copies the bytes (SQLITE_TRANSIENT) before this returns.
                Check(raw.sqlite3_bind_text(Statement, index, utf8[..Encoding.UTF8.GetBytes(value, utf8)]));
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        public void BindInt64(int index, long? value) =>
            Check(value is { } number ? raw.sqlite3_bind_int64(Statement, index, number) : raw.sqlite3_bind_null(Statement, index));

        /// <summary>Runs to the next row: true when there is one, false when the statement is done.</summary>
        public bool Step()
        {
            var result = raw.sqlite3_step(Statement);
            if (result == raw.SQLITE_ROW)
            {
                return true;
            }

            if (result == raw.SQLITE_DONE)
            {
                return false;
            }

            SqliteException.ThrowExceptionForRC(result, Database);
            return false;
        }

        /// <summary>Runs to the end; the statement returns one row at most, so any other is an error.</summary>
        public void StepToEnd()
        {
            if (Step())
            {
                throw new InvalidOperationException("A SQLite statement returned more rows than it can.");
            }
        }

        public string? ReadText(int column) =>
            raw.sqlite3_column_type(Statement, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(Statement, column).utf8_to_string();

        public DateTimeOffset? ReadTime(int column) =>
            raw.sqlite3_column_type(Statement, column) == raw.SQLITE_NULL
                ? null
                : DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(Statement, column));

        /// <summary>Readies the statement for its next run (and ends this one, rolling back what did not finish).</summary>
        public void Reset()
        {
            if (_statement is not null)
            {
                raw.sqlite3_reset(_statement);
            }
        }

        private void Check(int result)
        {
            if (result != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(result, Database);
            }
        }

        public void Dispose()
        {
            _statement?.Dispose();
            _statement = null;
        }
    }

    private sealed class SessionRow
    {
        public string Handle { get; init; } = "";
        public string UserId { get; init; } = "";
        public string CustomClaims { get; init; } = "{}";
        public string? AntiCsrfToken { get; init; }
        public string CurrentHash { get; init; } = "";
        public string? PreviousHash { get; init; }
        public long? RotatedAt { get; init; }
        public long ExpiresAt { get; init; }
        public long CreatedAt { get; init; }
        public string? CreatedAddress { get; init; }
        public string? CreatedUserAgent { get; init; }
        public string? RefreshedAddress { get; init; }
        public string? RefreshedUserAgent { get; init; }

        public SessionRecord ToRecord() => new(
            Handle,
            UserId,
            CustomClaims,
            AntiCsrfToken,
            CurrentHash,
            PreviousHash,
            RotatedAt is { } rotated ? DateTimeOffset.FromUnixTimeMilliseconds(rotated) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt),
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt))
        {
            CreatedBy = ClientInfo.Of(CreatedAddress, CreatedUserAgent),
            RefreshedBy = ClientInfo.Of(RefreshedAddress, RefreshedUserAgent),
        };
    }

    private sealed class EventRow
    {
        public long Id { get; init; }
        public string Kind { get; init; } = "";
        public string UserId { get; init; } = "";
        public string SessionHandle { get; init; } = "";
        public long OccurredAt { get; init; }
        public string? ClientAddress { get; init; }
        public string? UserAgent { get; init; }

        public SessionAuditEvent ToEvent() => new(Kind, UserId, SessionHandle, DateTimeOffset.FromUnixTimeMilliseconds(OccurredAt))
        {
            Id = Id,
            // One writer at a time: ids are in commit order, so the id is the position (see EventCursor).
            Position = Id,
            Client = ClientInfo.Of(ClientAddress, UserAgent),
        };
    }

    private sealed class OutboxRow
    {
        public string WebhookId { get; init; } = "";
        public long Attempts { get; init; }
        public long EventId { get; init; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1470, Level = LogLevel.Warning,
            Message = "A background checkpoint of the session database failed; commits are unaffected, and the next checkpoint tries again")]
        public static partial void CheckpointFailed(ILogger logger, Exception exception);
    }
}
