using Microsoft.Data.Sqlite;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>A store whose session reads fail as if the database were locked or gone.</summary>
internal sealed class FailingFindStore(ISessionStore inner) : ISessionStore
{
    public Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) =>
        throw new SqliteException("database is locked", 5);

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);
    public Task CreateAsync(SessionRecord session, CancellationToken cancellationToken) => inner.CreateAsync(session, cancellationToken);
    public Task<bool> TryRotateAsync(string handle, string expectedCurrentHash, string newCurrentHash, DateTimeOffset now, DateTimeOffset newExpiresAt, CancellationToken cancellationToken) =>
        inner.TryRotateAsync(handle, expectedCurrentHash, newCurrentHash, now, newExpiresAt, cancellationToken);
    public Task<bool> RevokeAsync(string handle, CancellationToken cancellationToken) => inner.RevokeAsync(handle, cancellationToken);
    public Task<bool> RevokeWithAuditAsync(string handle, SessionAuditEvent auditEvent, CancellationToken cancellationToken) =>
        inner.RevokeWithAuditAsync(handle, auditEvent, cancellationToken);
    public Task<IReadOnlyList<string>> RevokeAllForUserAsync(string userId, CancellationToken cancellationToken) => inner.RevokeAllForUserAsync(userId, cancellationToken);
    public Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) => inner.ListForUserAsync(userId, cancellationToken);
    public Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => inner.DeleteExpiredAsync(now, batchSize, cancellationToken);
    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) => inner.ListAuditEventsAsync(userId, cancellationToken);
    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken) => inner.GetSigningKeysAsync(cancellationToken);
    public Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, CancellationToken cancellationToken) => inner.TryAddSigningKeyAsync(key, cancellationToken);
    public Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.DeleteRetiredSigningKeysAsync(now, cancellationToken);
    public Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => inner.GetOrAddSecretAsync(name, candidate, cancellationToken);
}
