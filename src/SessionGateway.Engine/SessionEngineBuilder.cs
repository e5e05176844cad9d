using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGateway.Sessions;
using SessionGateway.Storage;
using SessionGateway.Telemetry;

namespace SessionGateway;

/// <summary>The second step of <c>AddSessionEngine</c>: which store holds the sessions. A new backend is one method here.</summary>
internal sealed class SessionEngineBuilder(IServiceCollection services)
{
    public IServiceCollection Services => services;

    /// <summary>The backend <paramref name="options"/> names in <see cref="SessionStoreOptions.Provider"/>.</summary>
    public IServiceCollection UseStore(SessionStoreOptions options) => options.Provider switch
    {
        StoreProvider.Postgres => UsePostgres(options),
        _ => UseSqlite(options),
    };

    /// <summary>An embedded SQLite file, for one gateway process.</summary>
    public IServiceCollection UseSqlite(SessionStoreOptions options)
    {
        var sqlite = options with { Provider = StoreProvider.Sqlite };
        Validate(sqlite);
        services.AddSingleton(sqlite);
        // Registered as itself so the container disposes it (closing its connections); the engine sees it timed.
        services.AddSingleton(provider => new SqliteSessionStore(sqlite, provider.GetService<ILogger<SqliteSessionStore>>()));
        services.AddSingleton<ISessionStore>(static provider => new InstrumentedSessionStore(
            provider.GetRequiredService<SqliteSessionStore>(), provider.GetRequiredService<EngineTelemetry>()));
        return services;
    }

    /// <summary>
    /// A PostgreSQL database shared by every replica, with the <c>LISTEN/NOTIFY</c> revocation feed that brings
    /// other replicas' revocations into this one's memory.
    /// </summary>
    public IServiceCollection UsePostgres(SessionStoreOptions options)
    {
        var postgres = options with { Provider = StoreProvider.Postgres };
        Validate(postgres);
        services.AddSingleton(postgres);
        services.AddSingleton(_ => new PostgresSessionStore(postgres));
        services.AddSingleton<ISessionStore>(static provider => new InstrumentedSessionStore(
            provider.GetRequiredService<PostgresSessionStore>(), provider.GetRequiredService<EngineTelemetry>()));
        services.AddSingleton<IRevocationFeed, PostgresRevocationFeed>();
        services.AddSingleton<RevocationSync>();
        services.AddHostedService(static provider => provider.GetRequiredService<RevocationSync>());
        return services;
    }

    private static void Validate(SessionStoreOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid session store configuration: " + string.Join(" ", errors), nameof(options));
        }
    }
}
