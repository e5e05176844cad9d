using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SessionGateway.Storage;

/// <summary>
/// Keeps the SQLite database readable by its owner only. The file holds session hashes, the refresh-token secret
/// and the signing keys (encrypted only when a key-encryption key is configured), so a world-readable file is a
/// way to mint tokens. SQLite creates a new file with 0644 (less the umask) and gives its <c>-wal</c>, <c>-shm</c>
/// and <c>-journal</c> files the main file's permission bits; so the gateway creates the main file itself, 0600,
/// before SQLite opens it, and the companion files follow. A file that already exists with group or other bits is
/// tightened to its owner bits, with a warning: nothing the gateway does needs them, and a backup job that reads the
/// file should run as its owner.
/// </summary>
internal static partial class SqliteFilePermissions
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly string[] CompanionSuffixes = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// Creates the database file (0600) when it does not exist, and removes group and other permissions from it and
    /// its companion files when they exist. <c>file:</c> URIs are resolved to their file. Nothing happens on Windows
    /// or for in-memory databases; for a file the gateway cannot name (a <c>|DataDirectory|</c> path, a URI with a
    /// remote authority) it warns that permissions are not managed.
    /// </summary>
    public static void Secure(string connectionString, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (DatabasePath(connectionString) is not { } path)
        {
            if (!IsInMemory(connectionString))
            {
                Log.NotManaged(logger);
            }

            return;
        }

        // A restart finds the file: asked first, because a failed create is an exception, and the first exception of a
        // process costs its start milliseconds.
        try
        {
            // CreateNew: no race with another process creating it; an existing file is left to the check below.
            if (!File.Exists(path))
            {
                using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
                {
                }

                Log.Created(logger, path);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Already there (checked below like its companions), or it cannot be created here: then SQLite's own
            // open fails next and says why, as the start-up error naming the connection string.
        }

        Tighten(path, logger);
        foreach (var suffix in CompanionSuffixes)
        {
            Tighten(path + suffix, logger);
        }
    }

    /// <summary>The file a connection string opens, or null for memory databases, URIs and <c>|DataDirectory|</c> paths.</summary>
    internal static string? DatabasePath(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var source = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(source) || source == ":memory:" ||
            source.Contains("|DataDirectory|", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return source.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? UriPath(source) : Path.GetFullPath(source);
    }

    /// <summary>
    /// The file of an SQLite URI (<c>file:data.db?mode=rwc</c>, <c>file:///srv/data.db</c>), as SQLite reads it: the
    /// path ends at <c>?</c> or <c>#</c>, is percent-decoded, and an authority must be empty or <c>localhost</c>.
    /// Null for in-memory URIs (<c>file::memory:</c>, <c>mode=memory</c>).
    /// </summary>
    private static string? UriPath(string uri)
    {
        var rest = uri["file:".Length..];
        var end = rest.IndexOfAny(['?', '#']);
        var query = end < 0 ? "" : rest[end..];
        var path = end < 0 ? rest : rest[..end];
        if (query.Contains("mode=memory", StringComparison.OrdinalIgnoreCase) || path.StartsWith(":memory:", StringComparison.Ordinal))
        {
            return null;
        }

        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = path.IndexOf('/', 2);
            var authority = slash < 0 ? path[2..] : path[2..slash];
            if (authority.Length > 0 && !authority.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            path = slash < 0 ? "" : path[slash..];
        }

        path = Uri.UnescapeDataString(path);
        return path.Length == 0 ? null : Path.GetFullPath(path);
    }

    private static bool IsInMemory(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var source = builder.DataSource;
        return builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(source) || source == ":memory:" ||
            source.StartsWith("file::memory:", StringComparison.OrdinalIgnoreCase) || source.Contains("mode=memory", StringComparison.OrdinalIgnoreCase);
    }

    private static void Tighten(string file, ILogger logger)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(file))
        {
            return;
        }

        var mode = File.GetUnixFileMode(file);
        if ((mode & GroupAndOther) == 0)
        {
            return;
        }

        var tightened = mode & ~GroupAndOther;
        try
        {
            File.SetUnixFileMode(file, tightened);
            Log.Tightened(logger, file, Octal(mode), Octal(tightened));
        }
        catch (UnauthorizedAccessException)
        {
            // Not the owner: only the owner (or root) may change the mode. The gateway still starts, loudly.
            Log.CannotTighten(logger, file, Octal(mode));
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    private static partial class Log
    {
        [LoggerMessage(EventId = 1450, Level = LogLevel.Information, Message = "Created the session database {Path}, readable and writable by its owner only (0600)")]
        public static partial void Created(ILogger logger, string path);

        [LoggerMessage(EventId = 1451, Level = LogLevel.Warning,
            Message = "{Path} had mode {Mode}: group or other users could read session data and keys; changed to {NewMode}")]
        public static partial void Tightened(ILogger logger, string path, string mode, string newMode);

        [LoggerMessage(EventId = 1452, Level = LogLevel.Error,
            Message = "{Path} has mode {Mode} and this process does not own it, so it cannot remove the group and other permissions: run chmod go-rwx on it")]
        public static partial void CannotTighten(ILogger logger, string path, string mode);

        [LoggerMessage(EventId = 1461, Level = LogLevel.Warning,
            Message = "Session:Store:ConnectionString names no file the gateway can resolve (a |DataDirectory| path or a URI with a host): the permissions of the session database are not managed; make sure only the gateway's user can read it")]
        public static partial void NotManaged(ILogger logger);
    }
}
