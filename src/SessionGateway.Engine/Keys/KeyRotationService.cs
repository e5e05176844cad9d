using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Keys;

/// <summary>
/// Reloads the key set every <see cref="SessionEngineOptions.KeyRefreshInterval"/>, adding the next key
/// when due. A failed reload keeps the last good key set and is retried on the next tick.
/// </summary>
internal sealed partial class KeyRotationService(
    SigningKeyRing keyRing,
    SessionEngineOptions options,
    TimeProvider timeProvider,
    ILogger<KeyRotationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.KeyRefreshInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await keyRing.RefreshAsync(stoppingToken);
                }
                catch (Exception exception) when (StoreFailures.IsOutage(exception))
                {
                    Log.RefreshFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Reloading signing keys failed; keeping the last loaded set")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
