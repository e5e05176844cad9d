using Microsoft.Extensions.Hosting;
using SessionGateway.Keys;
using SessionGateway.Storage;

namespace SessionGateway.Sessions;

/// <summary>
/// Runs <see cref="SessionEngine.InitializeAsync"/> at host start. Registered before the other engine
/// services, and hosted services start before the server listens, so no request sees an uninitialised engine.
/// A store that cannot be reached or migrated, or whose secrets the configured key-encryption keys cannot decrypt,
/// stops the host with a <see cref="SessionStoreStartException"/> naming the setting to look at.
/// </summary>
internal sealed class SessionEngineInitializer(SessionEngine engine, SessionStoreOptions storeOptions) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await engine.InitializeAsync(cancellationToken);
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            var target = storeOptions.Provider == StoreProvider.Postgres
                ? PostgresSessionStore.Describe(storeOptions.ConnectionString)
                : "SQLite file " + storeOptions.EffectiveConnectionString;
            throw new SessionStoreStartException(
                $"Session:Store:ConnectionString: cannot open the session store ({target}): {exception.GetBaseException().Message}",
                exception);
        }
        catch (KeyEncryptionException exception)
        {
            // A database copied without its key-encryption key, or started with the wrong one: refuse, in one line.
            throw new SessionStoreStartException(exception.Message, exception);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
