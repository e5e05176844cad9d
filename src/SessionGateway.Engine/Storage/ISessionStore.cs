namespace SessionGateway.Storage;

/// <summary>
/// Durable state shared by every replica: sessions, signing keys, server secrets and the audit trail.
/// A store is deliberately dumb: it knows hashes and timestamps, never what a token means. Every
/// backend (SQLite now, PostgreSQL later) must pass the same contract test suite.
/// </summary>
internal interface ISessionStore
{
    /// <summary>Creates or migrates the schema. Idempotent; safe to call from several replicas at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Inserts a new session row.</summary>
    Task CreateAsync(SessionRecord session, CancellationToken cancellationToken);

    /// <summary>Returns the session with this handle, expired or not, or <see langword="null"/> when there is none.</summary>
    Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Rotates in one conditional write: succeeds only while <paramref name="expectedCurrentHash"/> is still the
    /// current hash and the session has not expired at <paramref name="now"/>. The old current hash becomes the
    /// previous one. Returns <see langword="false"/> when another writer got there first (the caller re-reads).
    /// </summary>
    Task<bool> TryRotateAsync(
        string handle,
        string expectedCurrentHash,
        string newCurrentHash,
        DateTimeOffset now,
        DateTimeOffset newExpiresAt,
        CancellationToken cancellationToken);

    /// <summary>Deletes one session. Returns <see langword="false"/> when it did not exist.</summary>
    Task<bool> RevokeAsync(string handle, CancellationToken cancellationToken);

    /// <summary>Deletes the session and appends the audit event in one transaction.</summary>
    Task<bool> RevokeWithAuditAsync(string handle, SessionAuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Deletes every session of a user and returns their handles.</summary>
    Task<IReadOnlyList<string>> RevokeAllForUserAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Lists a user's sessions (including expired ones the sweeper has not removed yet).</summary>
    Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Deletes at most <paramref name="batchSize"/> sessions that expired at or before <paramref name="now"/>.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken);

    /// <summary>Returns the audit events recorded for a user, oldest first.</summary>
    Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Returns every stored signing key.</summary>
    Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Adds a signing key unless a key of the same algorithm already starts signing at the same instant
    /// (another replica won the race); returns whether this key was added.
    /// </summary>
    Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, CancellationToken cancellationToken);

    /// <summary>Deletes keys whose verify-until is at or before <paramref name="now"/>.</summary>
    Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the secret stored under <paramref name="name"/>, storing <paramref name="candidate"/> first when
    /// there is none, so every replica ends up with the same value.
    /// </summary>
    Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken);
}
