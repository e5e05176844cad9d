using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Keys;

/// <summary>
/// Reloads the key set every <see cref="SessionEngineOptions.KeyRefreshInterval"/>, adding the next key
/// when due. A failed reload (store outage, or a key this replica cannot decrypt) keeps the last good key set and is
/// retried on the next tick.
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
                catch (KeyEncryptionException exception)
                {
                    // A key another replica stored under a key-encryption key this one does not have: a misconfiguration
                    // to fix now, but no reason to stop serving with the keys already loaded.
                    Log.KeyUnreadable(logger, exception.Message);
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

        [LoggerMessage(EventId = 1456, Level = LogLevel.Error, Message = "Reloading signing keys failed, keeping the last loaded set: {Problem}")]
        public static partial void KeyUnreadable(ILogger logger, string problem);
    }
}
