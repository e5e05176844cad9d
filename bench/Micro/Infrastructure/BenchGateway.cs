using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Assertions;
using SessionGateway.Authentication;
using SessionGateway.Authorization;
using SessionGateway.Configuration;
using SessionGateway.Endpoints;
using SessionGateway.Proxy;
using SessionGateway.Sessions;
using SessionGateway.Storage;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.Micro.Infrastructure;

/// <summary>
/// The gateway's session services registered with its own extension methods, as its composition root does
/// (engine on SQLite, session settings, the authentication scheme, the response writer, the refresh endpoint, the
/// identity-header transform, the signed identity assertions), on a database file in a fresh temp directory. Nothing is mocked. The clock is a stopped
/// <see cref="FakeTimeProvider"/>, so the tokens minted in setup stay valid however long a run takes, and the hosted
/// services (key rotation, sweeper) are never started, so nothing moves under a measurement.
/// </summary>
internal sealed class BenchGateway : IDisposable
{
    public static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Custom claims of the benchmark session; two of them go upstream as headers (see <see cref="Settings"/>).</summary>
    public static readonly IReadOnlyDictionary<string, JsonElement> Claims = new Dictionary<string, JsonElement>
    {
        ["role"] = JsonSerializer.SerializeToElement("admin"),
        ["tenant"] = JsonSerializer.SerializeToElement("acme-corporation"),
        ["email"] = JsonSerializer.SerializeToElement("ada.lovelace@example.com"),
    };

    private readonly string _directory;
    private readonly string _databasePath;

    private BenchGateway(string directory, string databasePath, ServiceProvider services)
    {
        _directory = directory;
        _databasePath = databasePath;
        Services = services;
        Engine = services.GetRequiredService<SessionEngine>();
    }

    public ServiceProvider Services { get; }

    public SessionEngine Engine { get; }

    /// <summary>The <c>Session</c> section: defaults, plus two claim headers so the transform has claims to set.</summary>
    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Session:Headers:Claims:role"] = "X-User-Role",
        ["Session:Headers:Claims:tenant"] = "X-User-Tenant",
    };

    public static BenchGateway Start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sg-micro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var databasePath = Path.Combine(directory, "sessions.db");

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var sessionSection = configuration.GetSection(SessionSettings.SectionName);
        var settings = GatewayConfigValidator.TryBind(configuration) ?? new SessionSettings();

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        services.AddLogging();
        services.Configure<SessionSettings>(sessionSection);
        services.AddSessionEngine(settings.ToEngineOptions()).UseSqlite(new SessionStoreOptions { ConnectionString = databasePath });
        services.AddMetrics();
        services.AddSingleton<SessionMetrics>();
        services.AddSingleton<SessionResponseWriter>();
        services.AddSessionEndpoints();
        services.AddSessionAuthentication(sessionSection);
        services.AddRouting();
        services.AddSessionAuthorization(settings);
        services.AddSingleton<IdentityHeaderTransform>();
        services.AddSessionAssertions(settings);

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var gateway = new BenchGateway(directory, databasePath, provider);
        try
        {
            gateway.Engine.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch
        {
            gateway.Dispose();
            throw;
        }

        return gateway;
    }

    /// <summary>A new session of user <paramref name="userId"/> with <see cref="Claims"/>.</summary>
    public IssuedSession CreateSession(string userId = "user-4b1d2c9e", bool withAntiCsrfToken = false)
    {
        var created = Engine.CreateAsync(userId, Claims, withAntiCsrfToken, CancellationToken.None).GetAwaiter().GetResult();
        return created.Value ?? throw new InvalidOperationException("the session store was unavailable");
    }

    public void Dispose()
    {
        Services.Dispose();
        using (var connection = new SqliteConnection(SqliteSessionStore.BuildConnectionString(_databasePath)))
        {
            SqliteConnection.ClearPool(connection);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may linger; the temp cleaner gets it.
        }
    }
}
