using Microsoft.Extensions.Options;
using SessionGateway.Admin;
using SessionGateway.Assertions;
using SessionGateway.Authentication;
using SessionGateway.Authorization;
using SessionGateway.Configuration;
using SessionGateway.Endpoints;
using SessionGateway.ForwardAuth;
using SessionGateway.Management;
using SessionGateway.Oidc;
using SessionGateway.Proxy;
using SessionGateway.RateLimiting;
using SessionGateway.Requests;
using SessionGateway.Sessions;
using SessionGateway.SignIn;
using SessionGateway.Telemetry;
using SessionGateway.Transport;
using SessionGateway.Webhooks;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace SessionGateway.Hosting;

/// <summary>
/// The composition root: reads proxy.yaml, validates it, wires the request path
/// (Kestrel, routing, YARP with the gateway's transforms) and runs it.
/// </summary>
internal static partial class GatewayHost
{
    /// <summary>
    /// Runs the gateway until shutdown, or with <c>--check</c> only checks it. Returns the process exit code: 2 for a
    /// configuration mistake (an unreachable store included), 0 after a graceful stop or a passed check.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error, Action<WebApplicationBuilder>? configure = null, TextWriter? output = null)
    {
        var arguments = GatewayArguments.Parse(args);

        // A stop asked for before the host has handlers of its own (while the configuration is read and the store
        // opened) is a stop like any other: exit 0, not the runtime's default death by signal. --check does not stop.
        using var earlyStop = arguments.Check ? null : new EarlyStopSignal();
        GatewayBuild build;
        try
        {
            build = Build(args, configure);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"SessionGateway: cannot start: {ex.GetBaseException().Message}");
            return 1;
        }

        var file = build.ConfigFile?.Path ?? arguments.ResolveConfigPath(Environment.CurrentDirectory);
        if (build.App is null)
        {
            await error.WriteLineAsync($"SessionGateway: the configuration has {build.Problems.Count} problem(s); {(arguments.Check ? "check failed" : "not starting")}.");
            foreach (var problem in build.Problems)
            {
                await error.WriteLineAsync("  " + problem);
            }

            await error.WriteLineAsync($"(configuration file: {file})");
            return 2;
        }

        // Read now: the host disposes its services when RunAsync ends, however it ends.
        var stopping = build.App.Lifetime.ApplicationStopping;
        await using (build.App)
        {
            using (build.ConfigFile)
            {
                try
                {
                    if (arguments.Check)
                    {
                        return await CheckAsync(build.App, file, output ?? Console.Out);
                    }

                    earlyStop?.Forward(build.App.Lifetime);
                    await build.App.RunAsync();
                }
                catch (SessionStoreStartException ex)
                {
                    // An unreachable or unusable store is a configuration problem like any other: one line, code 2.
                    await error.WriteLineAsync($"SessionGateway: {ex.Message}");
                    if (arguments.Check)
                    {
                        await error.WriteLineAsync($"(configuration file: {file})");
                    }

                    return 2;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // SIGTERM while starting (the store opening, Kestrel binding): the start was given up because a
                    // stop was asked for, which is a clean stop. Nothing was served yet.
                    return 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A port that is taken, a database that cannot be opened, an unusable Kestrel setting: the
                    // message says what; a stack trace would only bury it.
                    await error.WriteLineAsync($"SessionGateway: cannot start: {ex.GetBaseException().Message}");
                    return 1;
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// <c>--check</c>: the configuration passed every check of a start; now the store is opened, migrated and its keys
    /// loaded, as a start does before listening (the work <see cref="Build"/> began). Nothing listens. A store
    /// problem throws <see cref="SessionStoreStartException"/>, which the caller reports as at a start.
    /// </summary>
    private static async Task<int> CheckAsync(WebApplication app, string file, TextWriter output)
    {
        if (app.Services.GetService<SessionEngineInitializer>() is { } initializer)
        {
            await initializer.Begin();
        }

        await output.WriteLineAsync($"SessionGateway: configuration OK: {file} (store opened, signing keys loaded)");
        return 0;
    }

    /// <summary>Builds the gateway application without starting it.</summary>
    public static GatewayBuild Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var arguments = GatewayArguments.Parse(args);
        var loaded = ProxyYamlFile.Load(arguments.ResolveConfigPath(Environment.CurrentDirectory), TimeProvider.System);
        if (loaded.File is not { } file)
        {
            return new GatewayBuild(null, null, loaded.Problems);
        }

        // The framework's host builder keeps the main thread busy for a while with nothing for the second core to do:
        // the engine's first-use costs are paid there meanwhile. The provider is read from the file only as a hint.
        _ = EngineWarmUp.Begin(sqlite: !string.Equals(
            file.Current.Data.GetValueOrDefault(SessionSettings.SectionName + ":Store:Provider"), nameof(Storage.StoreProvider.Postgres), StringComparison.OrdinalIgnoreCase));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = arguments.Rest });

        // proxy.yaml replaces appsettings.json; environment variables and the command line override it as usual.
        builder.Configuration.Sources.Clear();
        ((IConfigurationBuilder)builder.Configuration).Add(new ProxyYamlConfigurationSource(file));
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(arguments.Rest);

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // A start failure is printed by RunAsync as one line naming the cause; the host's own log of it is a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // The ReverseProxy section is first read by YARP's own reader during the checks (see YarpConfigReader), which
        // logs what it cannot read with a stack trace before the check reports it as one line; an edit is read by a
        // reader of its own before the application sees it, so this reader never fails later.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Configuration.ConfigProvider.ConfigurationConfigProvider", LogLevel.Critical);
        var sessionSection = builder.Configuration.GetSection(SessionSettings.SectionName);
        // Bound once here and shared by the validator and every IOptions reader until a reload.
        var settingsBinder = new SessionSettingsBinder(builder.Configuration);
        var settings = settingsBinder.TryGet(mayFail: true) ?? new SessionSettings();
        AddGatewayServices(builder.Services, builder.Configuration, sessionSection, settingsBinder, settings, Path.GetDirectoryName(file.Path)!);
        configure?.Invoke(builder);

        WebApplication? app = null;
        IConfigValidator yarpValidator;
        try
        {
            app = builder.Build();

            // The store and keys are opened with the Session section only: when it (and the top-level keys) check out,
            // their loading begins now, on another core, beside YARP's validation and the rest of the start-up (the
            // host's start waits for it before the server listens). Should the rest of the configuration fail its
            // checks, the application is disposed, which stops and waits for that work.
            if (GatewayConfigValidator.SessionSectionIsValid(app.Configuration, file.Current, settingsBinder))
            {
                // Resolved there too: building the engine and what it is made of is a few milliseconds of its own.
                var services = app.Services;
                _ = Task.Run(() =>
                {
                    try
                    {
                        services.GetService<SessionEngineInitializer>()?.Begin();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The rest of the configuration failed its checks first, and the application was disposed.
                    }
                });
            }

            // YARP's own validator knows things only its services have (authorization policies, load balancers,
            // health checks...), so the configuration is validated once, on the built (not started) application.
            yarpValidator = app.Services.GetRequiredService<IConfigValidator>();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException &&
            GatewayConfigValidator.Validate(builder.Configuration, file.Current, yarpValidator: null) is { Count: > 0 } buildProblems)
        {
            // A broken value can make building the application itself fail (a log level, a duration); the checks
            // that need no services say more than its exception does.
            file.Dispose();
            (app as IDisposable)?.Dispose();
            return new GatewayBuild(null, file, buildProblems);
        }

        var problems = GatewayConfigValidator.Validate(
            app.Configuration, file.Current, yarpValidator, settingsBinder, app.Services.GetRequiredService<IProxyConfigProvider>());
        if (problems.Count > 0)
        {
            file.Dispose();
            ((IDisposable)app).Dispose();
            return new GatewayBuild(null, file, problems);
        }

        if (ManagementListener.Parse(settings.Management, app.Configuration, problems: null) is { } management)
        {
            // Kestrel binds what Urls says: the traffic addresses and, after them, the management ones (added only now,
            // so the checks above saw the traffic addresses alone). Requests are told apart by their local port.
            builder.Configuration.AddInMemoryCollection([new("Urls", management.CombinedUrls(app.Configuration))]);
            app.UseManagementListener(management);
        }

        // A reload is checked against the same rules, with the same overrides on top, before anything sees it.
        var reloadLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SessionGateway.Configuration");
        if (settings.KeyEncryption.ExposedKeyFile(Path.GetDirectoryName(file.Path)!) is { } exposed)
        {
            // The key file unlocks every signing key in the store: group or other read access to it defeats the encryption.
            Log.KeyFileExposed(reloadLogger, exposed.Path, exposed.Mode);
        }

        foreach (var (name, provider) in settings.Oidc.Providers)
        {
            if (provider.ExposedSecretFile(Path.GetDirectoryName(file.Path)!) is { } exposedSecret)
            {
                // As for the key file: warned, not refused (a Kubernetes Secret volume is 0644 unless told otherwise).
                Log.ClientSecretFileExposed(reloadLogger, name, exposedSecret.Path, exposedSecret.Mode);
            }
        }
        file.CandidateValidator = candidate =>
        {
            var merged = new ConfigurationBuilder()
                .Add(new ProxyYamlCandidateSource(candidate))
                .AddEnvironmentVariables()
                .AddCommandLine(arguments.Rest)
                .Build();
            var candidateProblems = GatewayConfigValidator.Validate(merged, candidate, yarpValidator);
            if (candidateProblems.Count == 0 && GatewayConfigValidator.TryBind(merged, shapeChecked: true) is { } next)
            {
                foreach (var key in settings.StartOnlyChanges(next))
                {
                    Log.RestartNeeded(reloadLogger, key, file.Path);
                }
            }

            return candidateProblems;
        };
        file.Logger = reloadLogger;
        file.Metrics = app.Services.GetRequiredService<SessionMetrics>();
        file.Watch();

        UseGatewayPipeline(app, settings);
        return new GatewayBuild(app, file, []);
    }

    private static void AddGatewayServices(
        IServiceCollection services, ConfigurationManager configuration, IConfigurationSection sessionSection, SessionSettingsBinder settingsBinder, SessionSettings settings, string configDirectory)
    {
        // IOptions<SessionSettings> and IOptionsMonitor<SessionSettings> (renewed on a reload of the section), from
        // the one bind of each configuration version instead of a bind per reader.
        services.AddSingleton(settingsBinder);
        services.AddSingleton<IOptionsFactory<SessionSettings>, SessionSettingsOptionsFactory>();
        services.AddSingleton<IOptionsChangeTokenSource<SessionSettings>>(new ConfigurationChangeTokenSource<SessionSettings>(Options.DefaultName, sessionSection));

        // With invalid session settings the engine is left out: the application is only built to run the
        // validators, which then report every problem.
        var engineOptions = settings.ToEngineOptions();
        var storeOptions = settings.ResolveStore(configDirectory);
        var keyEncryption = settings.KeyEncryption.Load(configDirectory, problems: []);
        if (engineOptions.Validate().Count == 0 && storeOptions.Validate().Count == 0 && keyEncryption is not null)
        {
            services.AddSessionEngine(engineOptions, keyEncryption).UseStore(storeOptions);
            // After the engine: its initializer (which migrates the store holding the outbox) starts first.
            services.AddWebhooks(settings.Webhooks, configDirectory);
        }

        services.AddGatewayTelemetry(configuration, scraped: settings.Management.Enabled);
        services.AddManagementListener(settings.Management);
        services.AddAdminApi(settings, configDirectory);
        services.AddSingleton<SessionResponseWriter>();
        services.AddSingleton<SessionStarter>();
        services.AddSessionEndpoints();
        services.AddUsersFileSignIn(settings.Login, configDirectory);
        services.AddSessionAuthentication(sessionSection);
        services.AddOidcLogin(settings, configDirectory);
        services.AddSessionAuthorization(settings);

        // Routing's end-of-pipeline check that a route with authorization metadata went through UseAuthorization:
        // RouteAccessMiddleware enforces that metadata, always, in its place. The switch also silences the check for
        // CORS metadata, which no middleware here would honour (CORS runs before routing, for every path), so
        // GatewayConfigValidator refuses a route's CorsPolicy instead.
        services.Configure<RouteOptions>(routing => routing.SuppressCheckForUnhandledSecurityMetadata = true);
        services.AddSessionRateLimits(settings.RateLimits);
        if (settings.Cors.AllowedOrigins.Count > 0)
        {
            services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
                .WithOrigins([.. settings.Cors.AllowedOrigins])
                .AllowCredentials()
                .AllowAnyMethod()
                .WithHeaders([
                    ProtocolNames.RidHeader, ProtocolNames.FdiVersionHeader, ProtocolNames.AuthModeHeader,
                    ProtocolNames.AntiCsrfHeader, "authorization", "content-type", .. settings.Cors.AllowedHeaders])
                .WithExposedHeaders(ProtocolNames.FrontTokenHeader, ProtocolNames.AntiCsrfHeader, ProtocolNames.AccessTokenHeader, ProtocolNames.RefreshTokenHeader)
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        }

        services.AddSingleton<IdentityHeaderTransform>();
        services.AddForwardAuth(settings.ForwardAuth);
        services.AddSessionAssertions(settings);

        // Before AddReverseProxy, which only adds its own factory when none is registered.
        services.AddSingleton<IForwarderHttpClientFactory, GatewayHttpClientFactory>();
        services.AddRequestTimeouts();
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection(ReverseProxySchema.SectionName))
            .AddTransforms<GatewayTransformProvider>();
    }

    /// <summary>The request path, top to bottom.</summary>
    private static void UseGatewayPipeline(WebApplication app, SessionSettings settings)
    {
        // Decision requests (forward-auth) become the request they ask about, before anything judges the request.
        app.UseForwardAuth();

        // Then: methods the forwarder cannot carry, and paths that upstreams would read differently than
        // the router, are refused here; every later step sees the normalised path the upstream will receive.
        app.UseMiddleware<RequestGuardMiddleware>();

        if (settings.Cors.AllowedOrigins.Count > 0)
        {
            // Before routing, so preflights are answered for every path, including the refresh endpoint.
            app.UseCors();
        }

        app.UseRouting();
        // A route's Timeout or TimeoutPolicy is applied by this middleware (YARP answers 500 on such a route without
        // it, and a reload may add one to any route): after routing, since the timeout is endpoint metadata.
        app.UseRequestTimeouts();
        if (settings.RateLimits.AnyEnabled)
        {
            // After routing (the policy is endpoint metadata), before any session work: refresh and login per client address.
            app.UseRateLimiter();
        }

        // Authentication and the route's policy in one step (instead of UseAuthentication + UseAuthorization, see
        // RouteAccessMiddleware for why). The web host adds the framework's two middlewares at the start of the
        // pipeline when the application did not add them itself; these keys (the ones UseAuthentication and
        // UseAuthorization set) say it did. If a framework version stopped honouring them, the framework's
        // middlewares would run before routing and refuse every request, public routes included: fail closed.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        ((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
        app.UseMiddleware<RouteAccessMiddleware>();
        app.UseForwardAuthAnswers();
        app.MapSessionEndpoints(settings);
        app.MapOidcEndpoints(settings);
        app.MapReverseProxy();
    }

    private static partial class Log
    {
        [LoggerMessage(4004, LogLevel.Warning, "{Key} changed in {Path}; it is read at start and takes effect after a restart")]
        public static partial void RestartNeeded(ILogger logger, string key, string path);

        [LoggerMessage(4005, LogLevel.Warning,
            "Session:KeyEncryption:KeyFile {Path} has mode {Mode}: group or other users can read the key-encryption key, and with it every signing key in the session store; run chmod 0400 (or 0600) on it")]
        public static partial void KeyFileExposed(ILogger logger, string path, string mode);

        [LoggerMessage(2209, LogLevel.Warning,
            "Session:Oidc:Providers:{Provider}:ClientSecretFile {Path} has mode {Mode}: group or other users can read the client secret, and with it sign in to the provider as the gateway; run chmod 0400 (or 0600) on it")]
        public static partial void ClientSecretFileExposed(ILogger logger, string provider, string path, string mode);
    }
}
