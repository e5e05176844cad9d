namespace SessionGateway.Storage;

/// <summary>
/// Pushes revocations to this replica as other replicas commit them, so their access tokens are refused here
/// without a database read per request. A backend shared by several processes provides one (PostgreSQL:
/// <c>LISTEN/NOTIFY</c>); a backend for one process needs none.
/// </summary>
internal interface IRevocationFeed
{
    /// <summary>
    /// Listens until <paramref name="cancellationToken"/> fires, reconnecting by itself after a lost connection.
    /// Calls <paramref name="connected"/> each time it is (again) listening, before any revocation that
    /// follows, so the caller can re-read what it may have missed; then <paramref name="revoked"/> for each
    /// revocation committed from that moment on. <paramref name="disconnected"/> reports a lost connection.
    /// </summary>
    Task RunAsync(
        Func<CancellationToken, Task> connected,
        Action<Revocation> revoked,
        Action<Exception> disconnected,
        CancellationToken cancellationToken);
}
