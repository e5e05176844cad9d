using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway;

/// <summary>Registers the session engine, its SQLite store and its background services.</summary>
internal static class SessionEngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="SessionEngine"/> (singleton) with the SQLite store, the key ring, the startup
    /// initializer (schema migration, refresh-token secret, first signing keys), key rotation and the
    /// expired-session sweeper. Invalid options throw here, listing every problem. Call before other hosted
    /// services that use the engine so its initializer runs first.
    /// </summary>
    public static IServiceCollection AddSessionEngine(
        this IServiceCollection services,
        SessionEngineOptions engineOptions,
        SqliteStoreOptions storeOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(engineOptions);
        ArgumentNullException.ThrowIfNull(storeOptions);
        var errors = new List<string>(engineOptions.Validate());
        errors.AddRange(storeOptions.Validate());
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid session engine configuration: " + string.Join(" ", errors), nameof(engineOptions));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(engineOptions);
        services.AddSingleton(storeOptions);
        services.AddSingleton<ISessionStore, SqliteSessionStore>();
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<SessionEngine>();
        services.AddSingleton<ExpiredSessionSweeper>();
        services.AddHostedService<SessionEngineInitializer>();
        services.AddHostedService<KeyRotationService>();
        services.AddHostedService(static provider => provider.GetRequiredService<ExpiredSessionSweeper>());
        return services;
    }
}
