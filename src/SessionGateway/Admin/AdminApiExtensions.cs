using Microsoft.AspNetCore.Authorization;
using SessionGateway.Configuration;
using SessionGateway.Transport;

namespace SessionGateway.Admin;

/// <summary>
/// Registers the admin API (only when an admin key is configured: a gateway without one pays nothing for it, not even
/// at start) and builds its pipeline for the management listener.
/// </summary>
internal static partial class AdminApiExtensions
{
    /// <summary>
    /// The admin endpoints' authorization policy: authenticated by the admin key scheme, and by nothing else. It is
    /// endpoint metadata, never a named policy, so no traffic route can name it.
    /// </summary>
    public static readonly AuthorizationPolicy KeyRequired = new AuthorizationPolicyBuilder(AdminApiDefaults.AuthenticationScheme)
        .RequireAuthenticatedUser()
        .Build();

    /// <summary>
    /// The key scheme, the failure reporter and the OpenAPI generator, when <paramref name="settings"/> hold a usable
    /// key; nothing otherwise (an unusable one is reported by the configuration checks, and the gateway does not start).
    /// </summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services, SessionSettings settings, string configDirectory)
    {
        if (settings.Admin.Enabled && settings.Admin.LoadKey(settings.Management, configDirectory, problems: []) is { } key)
        {
            Register(services, new AdminApiKey(key), new AdminApiStart(settings.Admin.IsInline, settings.Admin.ExposedKeyFile(configDirectory)));
        }

        return services;
    }

    // A method of its own, so that a start without a key never compiles the calls below (the JIT would load the
    // OpenAPI assembly for the method that names it, even on a path that returns before reaching it).
    private static void Register(IServiceCollection services, AdminApiKey key, AdminApiStart start)
    {
        // Only the hash is kept (and the configured text is garbage once the settings are).
        services.AddSingleton(start);
        services.AddSingleton<AdminKeyFailures>();
        services.AddAuthentication()
            .AddScheme<AdminKeyOptions, AdminKeyHandler>(AdminApiDefaults.AuthenticationScheme, options => options.Key = key);
        services.AddAuthorization();
        services.AddOpenApi(AdminOpenApi.DocumentName, AdminOpenApi.Configure);
    }

    /// <summary>
    /// The admin API's own pipeline (routing over the admin endpoints only, the key policy, the endpoints), for the
    /// management listener's requests under <c>/admin</c>; null when the admin API is off. Its router is not the
    /// application's: the traffic pipeline never sees these endpoints, and these requests never see a route.
    /// </summary>
    public static RequestDelegate? BuildAdminApi(IApplicationBuilder app, int port)
    {
        if (app.ApplicationServices.GetService<AdminApiStart>() is not { } start)
        {
            return null;
        }

        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("SessionGateway.Admin");
        if (start.InlineKey && !app.ApplicationServices.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            Log.InlineKey(logger, app.ApplicationServices.GetRequiredService<IHostEnvironment>().EnvironmentName);
        }

        if (start.ExposedKeyFile is { } exposed)
        {
            Log.KeyFileExposed(logger, exposed.Path, exposed.Mode);
        }

        Log.Enabled(logger, port);

        // A fresh builder, not a branch of the application's: a branch would inherit the application's endpoint route
        // builder, and its routing would match the traffic endpoints (and the routes) instead of these.
        var admin = new ApplicationBuilder(app.ApplicationServices);
        admin.Use(static (context, next) =>
        {
            // Sessions, clients and the audit trail: nothing for a cache to keep.
            context.Response.Headers.CacheControl = "no-store";
            return next(context);
        });
        admin.UseRouting();
        admin.Use(static (context, next) => OnlyAdminEndpoints(context, next));
        admin.UseAuthorization();
        admin.UseEndpoints(endpoints =>
        {
            AdminEndpoints.Map(endpoints);
            // The document describes the API and holds nothing secret: readable without the key, as tooling expects.
            // HEAD as GET without a body, as on the other GET paths.
            endpoints.MapOpenApi(AdminApiDefaults.OpenApiPath).AllowAnonymous().WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
        });
        return admin.Build();
    }

    private static readonly byte[] NotFound = System.Text.Encoding.UTF8.GetBytes(
        """{"message":"not found: the admin API serves /admin/users/{userId}/sessions, /admin/sessions/{handle}, /admin/events and /admin/openapi.json"}""");

    /// <summary>
    /// Before authorization: a path no admin endpoint has is 404, a known path with another method 405 (what routing
    /// matched instead: its rejection endpoint, which carries no policy and would otherwise meet the application's
    /// fallback policy, the session one).
    /// </summary>
    private static async Task OnlyAdminEndpoints(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status404NotFound, NotFound);
            return;
        }

        if (endpoint.Metadata.GetMetadata<AuthorizationPolicy>() is null && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null)
        {
            // Routing's 405 endpoint sets the status and the Allow header; the body is the gateway's.
            if (endpoint.RequestDelegate is { } rejection)
            {
                await rejection(context);
            }

            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status405MethodNotAllowed, JsonResponses.MethodNotAllowed);
            return;
        }

        await next(context);
    }

    private static partial class Log
    {
        [LoggerMessage(5102, LogLevel.Warning,
            "Session:Admin:ApiKey is set inline in the {Environment} environment: it shows in the environment or configuration of the process; outside development keep it in a file (Session:Admin:ApiKeyFile, a mounted Secret) readable by the gateway only")]
        public static partial void InlineKey(ILogger logger, string environment);

        [LoggerMessage(5103, LogLevel.Warning,
            "Session:Admin:ApiKeyFile {Path} has mode {Mode}: group or other users can read the admin API key, and with it list and revoke every session; run chmod 0400 (or 0600) on it")]
        public static partial void KeyFileExposed(ILogger logger, string path, string mode);

        [LoggerMessage(5104, LogLevel.Information, "Admin API on: /admin/... on the management listener (port {Port}), with the admin API key")]
        public static partial void Enabled(ILogger logger, int port);
    }
}
