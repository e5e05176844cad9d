using Npgsql;

namespace SessionGateway.Storage;

/// <summary>
/// <c>LISTEN</c> on <see cref="PostgresSessionStore.RevocationChannel"/> over a connection of its own (not pooled).
/// After a lost connection it reconnects with a short backoff (250 ms doubling up to 1 s), listens again, and
/// only then lets the caller re-read the revocations it may have missed, so none falls in between.
/// </summary>
internal sealed class PostgresRevocationFeed(PostgresSessionStore store, TimeProvider timeProvider) : IRevocationFeed
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    // Short: while the feed is away, revocations made elsewhere are not seen here.
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(1);

    // A peer that vanished without closing the socket sends nothing; a ping on a quiet connection finds out.
    private static readonly TimeSpan PingWhenQuietFor = TimeSpan.FromSeconds(5);

    public async Task RunAsync(
        Func<CancellationToken, Task> connected,
        Action<Revocation> revoked,
        Action<Exception> disconnected,
        CancellationToken cancellationToken)
    {
        var retry = FirstRetry;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = store.CreateListenerConnection();
                await connection.OpenAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (PostgresSessionStore.TryParseNotification(e.Payload, out var revocation))
                    {
                        revoked(revocation);
                    }
                };
                await using (var listen = new NpgsqlCommand("LISTEN " + PostgresSessionStore.RevocationChannel, connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                await connected(cancellationToken);
                retry = FirstRetry;
                while (true)
                {
                    if (!await connection.WaitAsync(PingWhenQuietFor, cancellationToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Whatever broke (server restart, network, a failed catch-up read), the answer is the same: reconnect.
                disconnected(exception);
                try
                {
                    await Task.Delay(retry, timeProvider, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                retry = retry * 2 < LastRetry ? retry * 2 : LastRetry;
            }
        }
    }
}
