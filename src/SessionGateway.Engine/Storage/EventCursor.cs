namespace SessionGateway.Storage;

/// <summary>
/// A place in the audit trail: the events after it are those ordered after (<see cref="Position"/>, <see cref="Id"/>).
/// SQLite writes one transaction at a time, so its ids are in commit order and the position is the id. On PostgreSQL
/// the position is the id of the transaction that wrote the event: ids are drawn before commit, so a slower
/// transaction can commit a lower id after a higher one is visible, but a store only lists events of transactions
/// that have all ended (and no later transaction gets a lower transaction id), so nothing can appear before a
/// cursor it handed out. <see cref="Position"/> null: a bare event id from before cursors had positions
/// (<c>after=812</c>): the events with a higher id come next.
/// </summary>
internal sealed record EventCursor(long? Position, long Id)
{
    /// <summary>Before the first event.</summary>
    public static readonly EventCursor Start = new(0, 0);

    /// <summary>A bare event id: the events with a higher id, then in cursor order.</summary>
    public static EventCursor AfterId(long id) => new(null, id);
}
