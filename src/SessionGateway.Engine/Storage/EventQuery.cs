namespace SessionGateway.Storage;

/// <summary>
/// A page of the audit trail: events with an id above <see cref="AfterId"/> (the previous page's last id, 0 for the
/// first page), at or after <see cref="Since"/> when set, of one of <see cref="Kinds"/> when set, of
/// <see cref="UserId"/> when set; oldest first, at most <see cref="Limit"/>.
/// </summary>
internal sealed record EventQuery(long AfterId, int Limit, DateTimeOffset? Since = null, IReadOnlyList<string>? Kinds = null, string? UserId = null);
