using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Sessions;

/// <summary>Passes every call through; tests override the verbs they observe.</summary>
internal class DelegatingStore(ISessionStore inner) : ISessionStore
{
    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);
    public virtual Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);
    public virtual Task CreateAsync(SessionRecord session, AuditEntry created, CancellationToken cancellationToken) => inner.CreateAsync(session, created, cancellationToken);
    public virtual Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) => inner.FindAsync(handle, cancellationToken);
    public virtual Task<SessionRecord?> TryRotateAsync(string handle, string presentedHash, string nextHash, DateTimeOffset now, DateTimeOffset newExpiresAt, SessionLimits limits, ClientInfo? client, CancellationToken cancellationToken) =>
        inner.TryRotateAsync(handle, presentedHash, nextHash, now, newExpiresAt, limits, client, cancellationToken);
    public virtual Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        inner.RevokeAsync(handle, refuseUntil, audit, cancellationToken);
    public virtual Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        inner.RevokeOwnedAsync(handle, userId, refuseUntil, audit, cancellationToken);
    public virtual Task<IReadOnlyList<string>> RevokeAllForUserAsync(string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken) =>
        inner.RevokeAllForUserAsync(userId, refuseUntil, audit, webhookId, cancellationToken);
    public Task<IReadOnlyList<Revocation>> ListRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.ListRevocationsAsync(now, cancellationToken);
    public virtual Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) => inner.ListForUserAsync(userId, cancellationToken);
    public virtual Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => inner.DeleteExpiredAsync(now, batchSize, cancellationToken);
    public Task<int> DeleteExpiredRevocationsAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => inner.DeleteExpiredRevocationsAsync(now, batchSize, cancellationToken);
    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) => inner.ListAuditEventsAsync(userId, cancellationToken);
    public virtual Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => inner.ListEventsAsync(query, cancellationToken);
    public virtual Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => inner.DeleteEventsBeforeAsync(before, batchSize, cancellationToken);
    public virtual Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken) => inner.TakeWebhooksAsync(now, takenUntil, max, cancellationToken);
    public virtual Task CompleteWebhookAsync(string webhookId, CancellationToken cancellationToken) => inner.CompleteWebhookAsync(webhookId, cancellationToken);
    public virtual Task RescheduleWebhookAsync(string webhookId, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) => inner.RescheduleWebhookAsync(webhookId, attempts, nextAttemptAt, cancellationToken);
    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken) => inner.GetSigningKeysAsync(cancellationToken);
    public Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken) => inner.TryAddSigningKeyAsync(key, unlessSigningFrom, unlessSigningUntil, cancellationToken);
    public Task<bool> TryReplaceSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, CancellationToken cancellationToken) => inner.TryReplaceSigningKeyAsync(keyId, expected, privateKey, cancellationToken);
    public Task<bool> TryRetireSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, DateTimeOffset signsUntil, DateTimeOffset verifyUntil, CancellationToken cancellationToken) => inner.TryRetireSigningKeyAsync(keyId, expected, privateKey, signsUntil, verifyUntil, cancellationToken);
    public Task EraseFreedSpaceAsync(CancellationToken cancellationToken) => inner.EraseFreedSpaceAsync(cancellationToken);
    public Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.DeleteRetiredSigningKeysAsync(now, cancellationToken);
    public Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => inner.GetOrAddSecretAsync(name, candidate, cancellationToken);
    public Task<bool> TryReplaceSecretAsync(string name, byte[] expected, byte[] value, CancellationToken cancellationToken) => inner.TryReplaceSecretAsync(name, expected, value, cancellationToken);
}
