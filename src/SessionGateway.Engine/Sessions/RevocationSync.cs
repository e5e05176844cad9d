using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionGateway.Storage;

namespace SessionGateway.Sessions;

/// <summary>
/// Keeps this replica's in-memory revoked set in step with the other replicas through the store's
/// <see cref="IRevocationFeed"/>: each revocation is applied as it commits; after a lost connection every
/// revocation still in force is re-read before the feed is trusted again. Registered only for shared stores.
/// </summary>
internal sealed partial class RevocationSync(SessionEngine engine, IRevocationFeed feed, ILogger<RevocationSync> logger) : BackgroundService
{
    private int _connectedOnce;
    private int _failuresWhileAway;
    private volatile bool _isCurrent;

    /// <summary>True while the feed is listening and the set has been caught up since the last connection.</summary>
    public bool IsCurrent => _isCurrent;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => feed.RunAsync(
        async cancellationToken =>
        {
            var count = await engine.ReloadRevocationsAsync(cancellationToken);
            _isCurrent = true;
            _failuresWhileAway = 0;
            if (Interlocked.Exchange(ref _connectedOnce, 1) == 1)
            {
                Log.Reconnected(logger, count);
            }
        },
        engine.ApplyRevocation,
        exception =>
        {
            if (_isCurrent)
            {
                Log.Lost(logger, exception);
            }
            else if (++_failuresWhileAway is 1 || _failuresWhileAway % 60 == 0)
            {
                // Never connected, or still away: said at the first failure and then about once a minute, so a feed
                // that cannot work (a pooler in transaction mode, a connection limit) is never silent.
                Log.CannotListen(logger, _failuresWhileAway, exception);
            }

            _isCurrent = false;
        },
        stoppingToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Warning,
            Message = "Lost the revocation feed from the session store; revocations made on other replicas are not seen here until it is back")]
        public static partial void Lost(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Error,
            Message = "The revocation feed cannot listen on the session store ({Attempts} attempt(s) so far); revocations made on other replicas are not seen here")]
        public static partial void CannotListen(ILogger logger, int attempts, Exception exception);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Information,
            Message = "Revocation feed back; re-read {Count} revocations still in force")]
        public static partial void Reconnected(ILogger logger, int count);
    }
}
