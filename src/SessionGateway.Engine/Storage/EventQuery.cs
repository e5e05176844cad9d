namespace SessionGateway.Storage;

/// <summary>
/// A page of the audit trail: events after <see cref="After"/> (the previous page's last event's
/// <see cref="SessionAuditEvent.Cursor"/>, <see cref="EventCursor.Start"/> for the first page), at or after
/// <see cref="Since"/> when set, of one of <see cref="Kinds"/> when set, of <see cref="UserId"/> when set; in cursor
/// order (oldest first), at most <see cref="Limit"/>.
/// </summary>
internal sealed record EventQuery(EventCursor After, int Limit, DateTimeOffset? Since = null, IReadOnlyList<string>? Kinds = null, string? UserId = null);
