namespace SessionGateway.Storage;

/// <summary>Options of the SQLite session store and of the expired-session sweeper (section <c>Session:Store</c>).</summary>
internal sealed record SqliteStoreOptions
{
    /// <summary>A file path (<c>sessions.db</c>) or a full <c>Data Source=...</c> connection string.</summary>
    public string ConnectionString { get; init; } = "sessions.db";

    /// <summary>How often the sweeper looks for expired sessions.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows deleted per write transaction, so a sweep never holds the write lock for long.</summary>
    public int SweepBatchSize { get; init; } = 500;

    /// <summary>How long a writer waits for the SQLite write lock before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add("Session:Store:ConnectionString must not be empty.");
        }

        if (SweepInterval <= TimeSpan.Zero)
        {
            errors.Add("Session:Store:SweepInterval must be positive.");
        }

        if (SweepBatchSize <= 0)
        {
            errors.Add("Session:Store:SweepBatchSize must be positive.");
        }

        if (BusyTimeout < TimeSpan.Zero)
        {
            errors.Add("Session:Store:BusyTimeout must not be negative.");
        }

        return errors;
    }
}
