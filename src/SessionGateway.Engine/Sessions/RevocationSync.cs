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

    /// <summary>True while the feed is listening and the set has been caught up since the last connection.</summary>
    public bool IsCurrent { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => feed.RunAsync(
        async cancellationToken =>
        {
            var count = await engine.ReloadRevocationsAsync(cancellationToken);
            IsCurrent = true;
            if (Interlocked.Exchange(ref _connectedOnce, 1) == 1)
            {
                Log.Reconnected(logger, count);
            }
        },
        engine.ApplyRevocation,
        exception =>
        {
            if (IsCurrent)
            {
                Log.Lost(logger, exception);
            }

            IsCurrent = false;
        },
        stoppingToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Warning,
            Message = "Lost the revocation feed from the session store; revocations made on other replicas are not seen here until it is back")]
        public static partial void Lost(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Information,
            Message = "Revocation feed back; re-read {Count} revocations still in force")]
        public static partial void Reconnected(ILogger logger, int count);
    }
}
