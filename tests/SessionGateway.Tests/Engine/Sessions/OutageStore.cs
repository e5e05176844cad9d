using Microsoft.Data.Sqlite;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>A store whose session reads and writes fail as if the database were locked or gone.</summary>
internal sealed class OutageStore(ISessionStore inner) : DelegatingStore(inner)
{
    private static SqliteException Outage() => new SqliteException("database is locked", 5);

    public override Task PingAsync(CancellationToken cancellationToken) => throw Outage();
    public override Task CreateAsync(SessionRecord session, AuditEntry created, CancellationToken cancellationToken) => throw Outage();
    public override Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) => throw Outage();
    public override Task<SessionRecord?> TryRotateAsync(string handle, string presentedHash, string nextHash, DateTimeOffset now, DateTimeOffset newExpiresAt, SessionLimits limits, ClientInfo? client, CancellationToken cancellationToken) =>
        throw Outage();
    public override Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        throw Outage();
    public override Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        throw Outage();
    public override Task<IReadOnlyList<string>> RevokeAllForUserAsync(string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken) =>
        throw Outage();
    public override Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => throw Outage();
    public override Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) => throw Outage();
}
