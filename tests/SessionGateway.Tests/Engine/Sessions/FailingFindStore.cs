using Microsoft.Data.Sqlite;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>A store whose session reads fail as if the database were locked or gone.</summary>
internal sealed class FailingFindStore(ISessionStore inner) : DelegatingStore(inner)
{
    public override Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) =>
        throw new SqliteException("database is locked", 5);
}
