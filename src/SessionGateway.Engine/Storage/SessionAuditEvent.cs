namespace SessionGateway.Storage;

/// <summary>
/// An audit trail entry (a session created, signed out, revoked, or a detected token theft). Never carries token
/// values. <see cref="Id"/> increases with every event a store appends (the paging cursor).
/// </summary>
internal sealed record SessionAuditEvent(string Kind, string UserId, string SessionHandle, DateTimeOffset OccurredAt)
{
    public long Id { get; init; }

    /// <summary>The client seen making the request that caused the event (null when unknown, or for events before it was recorded).</summary>
    public ClientInfo? Client { get; init; }
}
