namespace SessionGateway.Admin;

/// <summary>One entry of the audit trail in <c>GET /admin/events</c>.</summary>
/// <param name="Id">Unique; increases with every event written (the trail's order is <paramref name="Cursor"/>'s: on PostgreSQL the order the events' transactions began in).</param>
/// <param name="Cursor">This event's place in the trail: <c>after=</c> this lists the events after it (opaque: pass it back as it is).</param>
/// <param name="Type"><c>session.created</c>, <c>session.signed_out</c>, <c>session.revoked</c> or <c>session.theft_detected</c> (null for a kind a newer version wrote).</param>
/// <param name="Kind">Why a session was revoked (<c>admin</c>, <c>user</c>, <c>idle_timeout</c>, <c>absolute_lifetime</c>) or how a theft showed (<c>previous_after_grace</c>, <c>older_generation</c>); null for created and signed out.</param>
/// <param name="UserId">The session's user.</param>
/// <param name="SessionHandle">The session.</param>
/// <param name="OccurredAt">When it happened.</param>
/// <param name="ClientAddress">The address of the client whose request caused it (the thief's, for a theft; the admin's, for an admin revocation); null when unknown.</param>
/// <param name="UserAgent">That client's User-Agent; null when unknown.</param>
internal sealed record AdminEvent(
    long Id,
    string Cursor,
    string? Type,
    string? Kind,
    string UserId,
    string SessionHandle,
    DateTimeOffset OccurredAt,
    string? ClientAddress,
    string? UserAgent);
