using Microsoft.Data.Sqlite;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine;

/// <summary>A SQLite database file in a fresh temp directory, deleted with its WAL files on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "sg-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, "sessions.db");
    }

    public string Directory { get; }

    public string FilePath { get; }

    public SessionStoreOptions StoreOptions(int sweepBatchSize = 500) =>
        new() { ConnectionString = FilePath, SweepBatchSize = sweepBatchSize };

    public void Dispose()
    {
        using (var connection = new SqliteConnection(SqliteSessionStore.BuildConnectionString(FilePath)))
        {
            SqliteConnection.ClearPool(connection);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle from a parallel test may linger; the OS temp cleaner gets it.
        }
    }
}
