using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionGateway.Storage;

namespace SessionGateway.Sessions;

/// <summary>
/// Deletes expired sessions and revocations, and audit events older than <see cref="SessionEngineOptions.AuditRetention"/>,
/// every <see cref="SessionStoreOptions.SweepInterval"/>, in batches of <see cref="SessionStoreOptions.SweepBatchSize"/>,
/// each its own short write so refreshes interleave. Also forgets in-memory revocations whose access tokens have expired.
/// </summary>
internal sealed partial class ExpiredSessionSweeper(
    ISessionStore store,
    SessionEngine engine,
    SessionStoreOptions options,
    SessionEngineOptions engineOptions,
    TimeProvider timeProvider,
    ILogger<ExpiredSessionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SweepOnceAsync(stoppingToken);
                }
                catch (Exception exception) when (StoreFailures.IsOutage(exception))
                {
                    Log.SweepFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }

    /// <summary>Deletes every session expired now, batch by batch; returns how many went.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var total = 0;
        int deleted;
        do
        {
            deleted = await store.DeleteExpiredAsync(now, options.SweepBatchSize, cancellationToken);
            total += deleted;
            // Let queued refreshes take the write lock between batches.
            await Task.Yield();
        }
        while (deleted == options.SweepBatchSize);

        while (await store.DeleteExpiredRevocationsAsync(now, options.SweepBatchSize, cancellationToken) == options.SweepBatchSize)
        {
            await Task.Yield();
        }

        engine.PruneRevocations();
        if (total > 0)
        {
            Log.Swept(logger, total);
        }

        if (engineOptions.AuditRetention is { } retention)
        {
            var events = await DeleteOldEventsAsync(now - retention, cancellationToken);
            if (events > 0)
            {
                Log.EventsSwept(logger, events, retention);
            }
        }

        return total;
    }

    /// <summary>Deletes audit events that occurred before <paramref name="before"/>, batch by batch; returns how many went.</summary>
    private async Task<int> DeleteOldEventsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var total = 0;
        int deleted;
        do
        {
            deleted = await store.DeleteEventsBeforeAsync(before, options.SweepBatchSize, cancellationToken);
            total += deleted;
            await Task.Yield();
        }
        while (deleted == options.SweepBatchSize);

        return total;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Deleted {Count} expired sessions")]
        public static partial void Swept(ILogger logger, int count);

        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Sweeping expired sessions failed; retrying on the next tick")]
        public static partial void SweepFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Deleted {Count} audit events older than the retention of {Retention}")]
        public static partial void EventsSwept(ILogger logger, int count, TimeSpan retention);
    }
}
