using System.Data.Common;

namespace SessionGateway.Storage;

/// <summary>What counts as "the store is unavailable", whichever backend threw it.</summary>
internal static class StoreFailures
{
    /// <summary>
    /// Database errors (SQLite busy or unreadable, PostgreSQL down, refusing, restarting, out of connections) and
    /// timeouts. A cancelled request is not an outage.
    /// </summary>
    public static bool IsOutage(Exception exception) => exception is DbException or TimeoutException;
}
