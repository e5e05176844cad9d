namespace SessionGateway.Storage;

/// <summary>Which database holds the sessions (<c>Session:Store:Provider</c>).</summary>
internal enum StoreProvider
{
    /// <summary>An embedded SQLite file: one gateway process.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database shared by any number of gateway replicas.</summary>
    Postgres,
}
