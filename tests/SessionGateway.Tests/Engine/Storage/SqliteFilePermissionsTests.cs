using System.Runtime.Versioning;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Storage;

/// <summary>The SQLite file and its WAL and shared-memory files hold secrets: readable by their owner only.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class SqliteFilePermissionsTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private IEnumerable<string> Files => [_database.FilePath, _database.FilePath + "-wal", _database.FilePath + "-shm"];

    [Fact]
    public async Task NewDatabase_AfterWrites_TheFileWalAndShm_AreOwnerOnly()
    {
        var store = new SqliteSessionStore(_database.StoreOptions());
        await store.InitializeAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        await store.CreateAsync(new SessionRecord("h", "u", "{}", null, "h0", null, null, now.AddDays(1), now), new AuditEntry("created", now), Ct);
        Assert.NotNull(await store.TryRotateAsync("h", "h0", "h1", now, now.AddDays(1), SessionLimits.None, null, Ct));

        // The pooled connection keeps the WAL and shared-memory files in place while the store is open.
        Assert.All(Files, file => Assert.True(File.Exists(file), file + " missing"));
        Assert.All(Files, file => Assert.Equal(OwnerOnly, File.GetUnixFileMode(file)));
    }

    [Fact]
    public async Task ExistingWorldReadableFile_IsTightenedToOwnerOnly_WithAWarning()
    {
        await using (var connection = new SqliteConnection(SqliteSessionStore.BuildConnectionString(_database.FilePath)))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
            SqliteConnection.ClearPool(connection);
        }

        File.SetUnixFileMode(_database.FilePath, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var logger = new RecordingLogger<SqliteSessionStore>();

        await new SqliteSessionStore(_database.StoreOptions(), logger).InitializeAsync(Ct);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(_database.FilePath));
        var warning = Assert.Single(logger.Entries, e => e.EventId == 1451);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(_database.FilePath + " had mode 0644", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Data Source=file:{0}?mode=rwc")]
    [InlineData("Data Source=file://{0}")]
    [InlineData("Data Source=file://localhost{0}?cache=shared")]
    public async Task NewDatabase_NamedByAFileUri_IsCreatedOwnerOnly(string template)
    {
        var connectionString = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, _database.FilePath);
        var store = new SqliteSessionStore(new SessionStoreOptions { ConnectionString = connectionString });
        await store.InitializeAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        await store.CreateAsync(new SessionRecord("h", "u", "{}", null, "h0", null, null, now.AddDays(1), now), new AuditEntry("created", now), Ct);

        Assert.All(Files, file => Assert.True(File.Exists(file), file + " missing"));
        Assert.All(Files, file => Assert.Equal(OwnerOnly, File.GetUnixFileMode(file)));
        using var pool = new SqliteConnection(SqliteSessionStore.BuildConnectionString(connectionString));
        SqliteConnection.ClearPool(pool);
    }

    [Fact]
    public void AFileTheGatewayCannotName_IsReportedAsNotManaged_AndMemoryIsNot()
    {
        var logger = new RecordingLogger<SqliteSessionStore>();

        SqliteFilePermissions.Secure("Data Source=file://backup-host/srv/sessions.db", logger);
        SqliteFilePermissions.Secure("Data Source=file::memory:?cache=shared", logger);
        SqliteFilePermissions.Secure("Data Source=:memory:", logger);

        var warning = Assert.Single(logger.Entries);
        Assert.Equal(1461, warning.EventId);
        Assert.Equal(LogLevel.Warning, warning.Level);
    }
}
