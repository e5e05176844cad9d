namespace SessionGateway.Storage;

/// <summary>
/// An audit trail entry (a session created, signed out, revoked, or a detected token theft). Never carries token
/// values. <see cref="Id"/> is unique and increases with every event a store appends; the trail is listed in the order
/// of <see cref="Cursor"/> (see <see cref="EventCursor"/>).
/// </summary>
internal sealed record SessionAuditEvent(string Kind, string UserId, string SessionHandle, DateTimeOffset OccurredAt)
{
    public long Id { get; init; }

    /// <summary>Where the event sorts in the trail: the id on SQLite, the writing transaction's id on PostgreSQL.</summary>
    public long Position { get; init; }

    /// <summary>The cursor that lists the events after this one.</summary>
    public EventCursor Cursor => new(Position, Id);

    /// <summary>The client seen making the request that caused the event (null when unknown, or for events before it was recorded).</summary>
    public ClientInfo? Client { get; init; }
}
