namespace SessionGateway.Storage;

/// <summary>
/// Durable state shared by every replica: sessions, revocations, signing keys, server secrets and the audit
/// trail. A store is deliberately dumb: it knows hashes and timestamps, never what a token means, and keeps signing
/// keys and secrets as the bytes it is given (the engine encrypts them before, see <c>KeyEncryption</c>). Every
/// backend (SQLite, PostgreSQL) passes the same contract test suite. An unreachable or failing database
/// surfaces as a <see cref="System.Data.Common.DbException"/> or <see cref="TimeoutException"/>, which the
/// engine turns into a "store unavailable" result; no other layer sees it.
/// </summary>
internal interface ISessionStore
{
    /// <summary>Creates or migrates the schema. Idempotent; safe to call from several replicas at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One cheap round trip that reads the store (for the readiness probe): completes when the store answers, throws
    /// like any other verb when it does not.
    /// </summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts a new session row (with <see cref="SessionRecord.CreatedBy"/>) and, in the same transaction, appends
    /// <paramref name="created"/> to the audit trail (queued in the webhook outbox when it has a webhook id).
    /// </summary>
    Task CreateAsync(SessionRecord session, AuditEntry created, CancellationToken cancellationToken);

    /// <summary>Returns the session with this handle, expired or not, or <see langword="null"/> when there is none.</summary>
    Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Rotates in one conditional statement: only while <paramref name="presentedHash"/> is the current hash, the
    /// session is unexpired at <paramref name="now"/> and within <paramref name="limits"/> (last activity after
    /// <see cref="SessionLimits.ActiveAfter"/>, created after <see cref="SessionLimits.CreatedAfter"/>), the current
    /// hash becomes the previous one, <paramref name="nextHash"/> the current one, the rotation time
    /// <paramref name="now"/>, the expiry <paramref name="newExpiresAt"/> (cut at creation + absolute lifetime) and
    /// the last refresh's client <paramref name="client"/>. Returns the rotated session (with
    /// <see cref="SessionRecord.RefreshedBy"/> = <paramref name="client"/>; its <see cref="SessionRecord.CreatedBy"/> is
    /// not read back, to keep the refresh path lean: <see cref="FindAsync"/> has it), or <see langword="null"/> when
    /// the condition did not hold (the caller reads the session and judges).
    /// </summary>
    Task<SessionRecord?> TryRotateAsync(
        string handle,
        string presentedHash,
        string nextHash,
        DateTimeOffset now,
        DateTimeOffset newExpiresAt,
        SessionLimits limits,
        ClientInfo? client,
        CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: deletes the session, records a revocation of it until <paramref name="refuseUntil"/>
    /// (also when the session row is already gone, so every replica refuses its access tokens), and, when the
    /// session existed, appends <paramref name="audit"/> for its user (queued in the webhook outbox when it has a
    /// webhook id). Returns the user id of the deleted session, or <see langword="null"/> when there was none.
    /// </summary>
    Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RevokeAsync"/>, but only when the session exists and belongs to <paramref name="userId"/>:
    /// otherwise nothing is written at all (no revocation row either, so nobody can end someone else's session by
    /// guessing or learning its handle). Returns whether the session was revoked.
    /// </summary>
    Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RevokeAsync"/> for every session of a user (one audit event per session, each queued under its own
    /// webhook id made by <paramref name="webhookId"/> when that is given); returns their handles.
    /// </summary>
    Task<IReadOnlyList<string>> RevokeAllForUserAsync(
        string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken);

    /// <summary>Revocations still in force at <paramref name="now"/> (loaded at start and after a lost feed connection).</summary>
    Task<IReadOnlyList<Revocation>> ListRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Lists a user's sessions (including expired ones the sweeper has not removed yet).</summary>
    Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Deletes at most <paramref name="batchSize"/> sessions that expired at or before <paramref name="now"/>.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken);

    /// <summary>Deletes at most <paramref name="batchSize"/> revocations no longer in force at <paramref name="now"/>.</summary>
    Task<int> DeleteExpiredRevocationsAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken);

    /// <summary>Returns the audit events recorded for a user, oldest first.</summary>
    Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>One page of the audit trail (see <see cref="EventQuery"/>), oldest first.</summary>
    Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes at most <paramref name="batchSize"/> audit events that occurred before <paramref name="before"/> and wait in no outbox.</summary>
    Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="max"/> queued webhooks due at <paramref name="now"/> and not taken by anyone else,
    /// and marks them taken until <paramref name="takenUntil"/> (so replicas sharing the store do not send the same one
    /// at the same time; a replica that dies while sending releases its webhooks when that time passes). Oldest first.
    /// </summary>
    Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken);

    /// <summary>Removes a webhook from the outbox (delivered, or given up).</summary>
    Task CompleteWebhookAsync(string webhookId, CancellationToken cancellationToken);

    /// <summary>Records a failed attempt: the webhook is due again at <paramref name="nextAttemptAt"/> and no longer taken.</summary>
    Task RescheduleWebhookAsync(string webhookId, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken);

    /// <summary>Returns every stored signing key.</summary>
    Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Adds a signing key unless a key of the same algorithm already signs at some instant of
    /// [<paramref name="unlessSigningFrom"/>, <paramref name="unlessSigningUntil"/>] or starts at the same instant
    /// (another replica got there first). Replicas adding keys at the same moment are serialised, so two replicas
    /// starting on an empty store never both add a first key. Returns whether this key was added.
    /// </summary>
    Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a key's stored private key with <paramref name="privateKey"/> only while it still is
    /// <paramref name="expected"/> (a compare-and-swap: replicas re-encrypting the same key at once do not overwrite
    /// each other); returns whether it was replaced.
    /// </summary>
    Task<bool> TryReplaceSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="TryReplaceSigningKeyAsync"/>, and in the same compare-and-swap sets the key's signs-until and
    /// verify-until to <paramref name="signsUntil"/> and <paramref name="verifyUntil"/> (an early retirement).
    /// </summary>
    Task<bool> TryRetireSigningKeyAsync(
        string keyId, byte[] expected, byte[] privateKey, DateTimeOffset signsUntil, DateTimeOffset verifyUntil, CancellationToken cancellationToken);

    /// <summary>
    /// Erases, as far as the backend can, the bytes of values that were overwritten or deleted and may linger in
    /// freed pages or a log (called after secrets stored in clear were encrypted). A no-op where the backend cannot
    /// do it from a connection.
    /// </summary>
    Task EraseFreedSpaceAsync(CancellationToken cancellationToken);

    /// <summary>Deletes keys whose verify-until is at or before <paramref name="now"/>.</summary>
    Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the secret stored under <paramref name="name"/>, storing <paramref name="candidate"/> first when
    /// there is none, so every replica ends up with the same value.
    /// </summary>
    Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the secret <paramref name="name"/> with <paramref name="value"/> only while it still is
    /// <paramref name="expected"/> (compare-and-swap); returns whether it was replaced.
    /// </summary>
    Task<bool> TryReplaceSecretAsync(string name, byte[] expected, byte[] value, CancellationToken cancellationToken);
}
