namespace SessionGateway.Storage;

/// <summary>
/// Bounds on a session's life besides its sliding expiry, checked by the store's rotation in the same statement:
/// an idle timeout (no rotation for this long since the last one, or since creation) and an absolute lifetime
/// (from creation, whatever the activity). Null is off.
/// </summary>
internal readonly record struct SessionLimits(TimeSpan? IdleTimeout, TimeSpan? AbsoluteLifetime)
{
    public static SessionLimits None => default;

    /// <summary>A rotation needs the last activity (rotation, else creation) strictly after this instant.</summary>
    public DateTimeOffset ActiveAfter(DateTimeOffset now) => IdleTimeout is { } idle ? now - idle : DateTimeOffset.UnixEpoch;

    /// <summary>A rotation needs the creation strictly after this instant.</summary>
    public DateTimeOffset CreatedAfter(DateTimeOffset now) => AbsoluteLifetime is { } lifetime ? now - lifetime : DateTimeOffset.UnixEpoch;

    /// <summary>The last instant <paramref name="session"/> may live: its expiry, cut at its idle and absolute ends.</summary>
    public DateTimeOffset EndOf(SessionRecord session)
    {
        var end = session.ExpiresAt;
        if (IdleTimeout is { } idle && (session.RotatedAt ?? session.CreatedAt) + idle < end)
        {
            end = (session.RotatedAt ?? session.CreatedAt) + idle;
        }

        if (AbsoluteLifetime is { } lifetime && session.CreatedAt + lifetime < end)
        {
            end = session.CreatedAt + lifetime;
        }

        return end;
    }
}
