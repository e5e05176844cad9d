using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Tokens;

namespace SessionGateway;

/// <summary>Registers the session engine and its background services; the store is chosen next, on the returned builder.</summary>
internal static class SessionEngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="SessionEngine"/> (singleton), the key ring, the <see cref="AssertionIssuer"/>, the startup initializer (schema migration,
    /// refresh-token secret, first signing keys, durable revocations), key rotation and the expired-session
    /// sweeper. Invalid options throw here, listing every problem. Call before other hosted services that use the
    /// engine so its initializer runs first, then name the store:
    /// <c>services.AddSessionEngine(options).UseSqlite(store)</c> or <c>.UsePostgres(store)</c>.
    /// <paramref name="keyEncryption"/> encrypts signing keys and secrets at rest; without it they are stored in clear
    /// and the engine warns at start.
    /// </summary>
    public static SessionEngineBuilder AddSessionEngine(this IServiceCollection services, SessionEngineOptions engineOptions, KeyEncryption? keyEncryption = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(engineOptions);
        var errors = engineOptions.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid session engine configuration: " + string.Join(" ", errors), nameof(engineOptions));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(engineOptions);
        services.AddSingleton(keyEncryption ?? KeyEncryption.None);
        // The meter comes from the host's IMeterFactory when there is one (AddMetrics), so the host's listeners and
        // exporters see it; the instruments share the gateway's meter name.
        services.TryAddSingleton(static provider => new EngineTelemetry(provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<SessionEngine>();
        services.AddSingleton<AssertionIssuer>();
        services.AddSingleton<ExpiredSessionSweeper>();
        services.AddSingleton<SessionEngineInitializer>();
        services.AddHostedService(static provider => provider.GetRequiredService<SessionEngineInitializer>());
        services.AddHostedService<KeyRotationService>();
        services.AddHostedService(static provider => provider.GetRequiredService<ExpiredSessionSweeper>());
        return new SessionEngineBuilder(services);
    }
}
