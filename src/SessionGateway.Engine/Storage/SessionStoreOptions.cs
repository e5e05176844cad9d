using Microsoft.Data.Sqlite;
using Npgsql;

namespace SessionGateway.Storage;

/// <summary>Options of the session store and of the expired-session sweeper (section <c>Session:Store</c>).</summary>
internal sealed record SessionStoreOptions
{
    /// <summary>The SQLite database used when no connection string is configured.</summary>
    public const string DefaultSqliteFile = "sessions.db";

    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>
    /// SQLite: a file path or a full <c>Data Source=...</c> string (empty means <see cref="DefaultSqliteFile"/>).
    /// PostgreSQL: an Npgsql connection string (required).
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>How often the sweeper deletes expired sessions and revocations.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows deleted per statement, so a sweep never holds locks for long.</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>
    /// How long one store operation may wait before it counts as an outage: SQLite's write lock; PostgreSQL's
    /// connect and command timeouts unless the connection string sets <c>Timeout</c> / <c>Command Timeout</c>.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The connection string in force: the SQLite default file when none is configured.</summary>
    public string EffectiveConnectionString =>
        Provider == StoreProvider.Sqlite && string.IsNullOrWhiteSpace(ConnectionString) ? DefaultSqliteFile : ConnectionString;

    /// <summary>Collects every problem; each message starts with the key it is about.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Provider))
        {
            errors.Add("Session:Store:Provider must be sqlite or postgres.");
        }

        var problem = Provider == StoreProvider.Postgres ? PostgresProblem(ConnectionString) : SqliteProblem(EffectiveConnectionString);
        if (problem is not null)
        {
            errors.Add("Session:Store:ConnectionString " + problem);
        }

        if (SweepInterval < TimeSpan.FromSeconds(1) || SweepInterval > Sessions.SessionEngineOptions.LongestTimerInterval)
        {
            errors.Add("Session:Store:SweepInterval must be between 1 second and 24 days.");
        }

        if (SweepBatchSize <= 0)
        {
            errors.Add("Session:Store:SweepBatchSize must be positive.");
        }

        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > Sessions.SessionEngineOptions.LongestTimerInterval)
        {
            errors.Add("Session:Store:BusyTimeout must be between 0 and 24 days.");
        }

        return errors;
    }

    private static string? SqliteProblem(string connectionString)
    {
        if (!connectionString.Contains('=', StringComparison.Ordinal))
        {
            return null; // A file path.
        }

        try
        {
            _ = new SqliteConnectionStringBuilder(connectionString);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            return "is not a valid SQLite connection string (a file path, or Data Source=...): " + ex.Message;
        }
    }

    private static string? PostgresProblem(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "is required when Session:Store:Provider is postgres (for example Host=db;Database=sessions;Username=gateway;Password=...; or the environment variable Session__Store__ConnectionString).";
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            // The parser's message may quote part of a value (a password with an unquoted ';' reads as "keyword"
            // after it), so none of it is printed.
            return "is not a valid PostgreSQL connection string: a keyword is unknown or a value malformed (quote values that contain ';' as \"...\").";
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return "names no Host: a PostgreSQL connection string looks like Host=db;Database=sessions;Username=gateway;Password=...";
        }

        try
        {
            // Some settings parse but do not go together (pool sizes, target session attributes with one host); the
            // data source says so when built, and that is checked here rather than as a crash at start.
            using var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return "has settings that do not go together: " + ex.Message;
        }
    }
}
