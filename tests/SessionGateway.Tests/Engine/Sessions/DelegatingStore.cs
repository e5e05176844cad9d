using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>Passes every call through; tests override the verbs they observe.</summary>
internal class DelegatingStore(ISessionStore inner) : ISessionStore
{
    public virtual Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) => inner.FindAsync(handle, cancellationToken);
    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);
    public Task CreateAsync(SessionRecord session, CancellationToken cancellationToken) => inner.CreateAsync(session, cancellationToken);
    public Task<bool> TryRotateAsync(string handle, string expectedCurrentHash, string newCurrentHash, DateTimeOffset now, DateTimeOffset newExpiresAt, CancellationToken cancellationToken) =>
        inner.TryRotateAsync(handle, expectedCurrentHash, newCurrentHash, now, newExpiresAt, cancellationToken);
    public Task<bool> RevokeAsync(string handle, CancellationToken cancellationToken) => inner.RevokeAsync(handle, cancellationToken);
    public Task<bool> RevokeWithAuditAsync(string handle, SessionAuditEvent auditEvent, CancellationToken cancellationToken) =>
        inner.RevokeWithAuditAsync(handle, auditEvent, cancellationToken);
    public Task<IReadOnlyList<string>> RevokeAllForUserAsync(string userId, CancellationToken cancellationToken) => inner.RevokeAllForUserAsync(userId, cancellationToken);
    public Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) => inner.ListForUserAsync(userId, cancellationToken);
    public virtual Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => inner.DeleteExpiredAsync(now, batchSize, cancellationToken);
    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) => inner.ListAuditEventsAsync(userId, cancellationToken);
    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken) => inner.GetSigningKeysAsync(cancellationToken);
    public Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, CancellationToken cancellationToken) => inner.TryAddSigningKeyAsync(key, cancellationToken);
    public Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.DeleteRetiredSigningKeysAsync(now, cancellationToken);
    public Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => inner.GetOrAddSecretAsync(name, candidate, cancellationToken);
}
