using Microsoft.Extensions.Hosting;
using SessionGateway.Keys;
using SessionGateway.Storage;

namespace SessionGateway.Sessions;

/// <summary>
/// Runs <see cref="SessionEngine.InitializeAsync"/> at host start. Registered before the other engine
/// services, and hosted services start before the server listens, so no request sees an uninitialised engine.
/// A store that cannot be reached or migrated, or whose secrets the configured key-encryption keys cannot decrypt,
/// stops the host with a <see cref="SessionStoreStartException"/> naming the setting to look at.
/// <para>
/// The work can begin before the host starts (<see cref="Begin"/>): opening the store, migrating it and loading
/// the keys is the longest step of a start, and overlaps the rest of it on another core.
/// </para>
/// </summary>
internal sealed class SessionEngineInitializer(SessionEngine engine, SessionStoreOptions storeOptions) : IHostedService, IDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _initialization;
    private bool _disposed;

    /// <summary>Starts initialising the engine in the background, once; <see cref="StartAsync"/> waits for the same work.</summary>
    public Task Begin()
    {
        lock (_lock)
        {
            // Begun from another thread while the application was being disposed: the store is (being) disposed too.
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _initialization ??= Task.Run(InitializeAsync);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Begin().WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _stopping.Cancel();
            }
        }

        return Task.CompletedTask;
    }

    public void Dispose()
    {
        // The container disposes this twice (as itself and as the hosted service it also is).
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        // A host built and disposed without running: the store must not be disposed under a running initialisation.
        _stopping.Cancel();
        try
        {
            _initialization?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Reported by StartAsync when the host runs; nothing to report when it does not.
        }

        _stopping.Dispose();
    }

    private async Task InitializeAsync()
    {
        var cancellationToken = _stopping.Token;
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
}
