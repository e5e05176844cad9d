using System.Diagnostics;
using SessionGateway.Storage;

namespace SessionGateway.Telemetry;

/// <summary>
/// Wraps the configured store (registered by <c>SessionEngineBuilder</c>): every call is timed into
/// <c>sessiongateway.store.duration</c> (attribute <c>operation</c>) and, when a tracing listener samples it, is a
/// span <c>sessiongateway.store.{operation}</c> under the request's span. A failing call is recorded too (its
/// duration, and an error status on the span) and its exception passes through unchanged: the engine turns outages
/// into results, as without this wrapper. Store calls happen on refresh, login, sign-out and in background work,
/// never on a proxied request with a valid token.
/// </summary>
internal sealed class InstrumentedSessionStore(ISessionStore inner, EngineTelemetry telemetry) : ISessionStore
{
    /// <summary>The wrapped store.</summary>
    public ISessionStore Inner => inner;

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Initialize, () => inner.InitializeAsync(cancellationToken));

    public Task PingAsync(CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Ping, () => inner.PingAsync(cancellationToken));

    public Task CreateAsync(SessionRecord session, AuditEntry created, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Create, () => inner.CreateAsync(session, created, cancellationToken));

    public Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Find, () => inner.FindAsync(handle, cancellationToken));

    public Task<SessionRecord?> TryRotateAsync(
        string handle,
        string presentedHash,
        string nextHash,
        DateTimeOffset now,
        DateTimeOffset newExpiresAt,
        SessionLimits limits,
        ClientInfo? client,
        CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Rotate, () => inner.TryRotateAsync(handle, presentedHash, nextHash, now, newExpiresAt, limits, client, cancellationToken));

    public Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.Revoke, () => inner.RevokeAsync(handle, refuseUntil, audit, cancellationToken));

    public Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.RevokeOwned, () => inner.RevokeOwnedAsync(handle, userId, refuseUntil, audit, cancellationToken));

    public Task<IReadOnlyList<string>> RevokeAllForUserAsync(
        string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.RevokeAll, () => inner.RevokeAllForUserAsync(userId, refuseUntil, audit, webhookId, cancellationToken));

    public Task<IReadOnlyList<Revocation>> ListRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ListRevocations, () => inner.ListRevocationsAsync(now, cancellationToken));

    public Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ListForUser, () => inner.ListForUserAsync(userId, cancellationToken));

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.DeleteExpired, () => inner.DeleteExpiredAsync(now, batchSize, cancellationToken));

    public Task<int> DeleteExpiredRevocationsAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.DeleteExpiredRevocations, () => inner.DeleteExpiredRevocationsAsync(now, batchSize, cancellationToken));

    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ListAuditEvents, () => inner.ListAuditEventsAsync(userId, cancellationToken));

    public Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ListEvents, () => inner.ListEventsAsync(query, cancellationToken));

    public Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.DeleteEvents, () => inner.DeleteEventsBeforeAsync(before, batchSize, cancellationToken));

    public Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.TakeWebhooks, () => inner.TakeWebhooksAsync(now, takenUntil, max, cancellationToken));

    public Task CompleteWebhookAsync(string webhookId, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.CompleteWebhook, () => inner.CompleteWebhookAsync(webhookId, cancellationToken));

    public Task RescheduleWebhookAsync(string webhookId, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.RescheduleWebhook, () => inner.RescheduleWebhookAsync(webhookId, attempts, nextAttemptAt, cancellationToken));

    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.GetSigningKeys, () => inner.GetSigningKeysAsync(cancellationToken));

    public Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.AddSigningKey, () => inner.TryAddSigningKeyAsync(key, unlessSigningFrom, unlessSigningUntil, cancellationToken));

    public Task<bool> TryReplaceSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ReplaceSigningKey, () => inner.TryReplaceSigningKeyAsync(keyId, expected, privateKey, cancellationToken));

    public Task<bool> TryRetireSigningKeyAsync(
        string keyId, byte[] expected, byte[] privateKey, DateTimeOffset signsUntil, DateTimeOffset verifyUntil, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.RetireSigningKey, () => inner.TryRetireSigningKeyAsync(keyId, expected, privateKey, signsUntil, verifyUntil, cancellationToken));

    public Task EraseFreedSpaceAsync(CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.EraseFreedSpace, () => inner.EraseFreedSpaceAsync(cancellationToken));

    public Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.DeleteRetiredSigningKeys, () => inner.DeleteRetiredSigningKeysAsync(now, cancellationToken));

    public Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.GetOrAddSecret, () => inner.GetOrAddSecretAsync(name, candidate, cancellationToken));

    public Task<bool> TryReplaceSecretAsync(string name, byte[] expected, byte[] value, CancellationToken cancellationToken) =>
        RunAsync(StoreOperation.ReplaceSecret, () => inner.TryReplaceSecretAsync(name, expected, value, cancellationToken));

    // Async so that the span is Activity.Current only inside this call: the caller's context is restored on return.
    private async Task RunAsync(StoreOperation operation, Func<Task> call)
    {
        using var activity = EngineTelemetry.Source.StartActivity(operation.SpanName, ActivityKind.Internal);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await call();
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
        finally
        {
            telemetry.StoreDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, operation.Tag);
        }
    }

    private async Task<T> RunAsync<T>(StoreOperation operation, Func<Task<T>> call)
    {
        using var activity = EngineTelemetry.Source.StartActivity(operation.SpanName, ActivityKind.Internal);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call();
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
        finally
        {
            telemetry.StoreDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, operation.Tag);
        }
    }
}
