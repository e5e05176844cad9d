using Microsoft.AspNetCore.Authorization;
using SessionGateway.Configuration;
using SessionGateway.RateLimiting;
using SessionGateway.Sessions;
using SessionGateway.SignIn;

namespace SessionGateway.Endpoints;

/// <summary>Maps the paths the gateway answers itself, ahead of every proxy route.</summary>
internal static class SessionEndpointExtensions
{
    // Lower order wins: these paths are never forwarded, whatever a route's Match or Order says.
    private const int BeforeEveryRoute = int.MinValue;

    public static IServiceCollection AddSessionEndpoints(this IServiceCollection services)
    {
        services.AddSingleton<RefreshEndpoint>();
        services.AddSingleton<SignOutEndpoint>();
        services.AddSingleton<SessionsEndpoint>();
        return services;
    }

    public static void MapSessionEndpoints(this IEndpointRouteBuilder endpoints, SessionSettings settings)
    {
        // Every method is mapped so that GET /api/refresh is our 405, not a request forwarded by a catch-all route.
        // The endpoints are singletons: resolved once here rather than from each request's services.
        var refreshEndpoint = endpoints.ServiceProvider.GetRequiredService<RefreshEndpoint>();
        var refresh = endpoints.Map(settings.RefreshPath, refreshEndpoint.InvokeAsync)
            .WithOrder(BeforeEveryRoute).WithDisplayName("session refresh").WithMetadata(new AllowAnonymousAttribute());
        if (settings.RateLimits.Refresh.Enabled)
        {
            refresh.RequireRateLimiting(SessionRateLimits.RefreshPolicy);
        }

        var signOutEndpoint = endpoints.ServiceProvider.GetRequiredService<SignOutEndpoint>();
        endpoints.Map(settings.SignOutPath, signOutEndpoint.InvokeAsync)
            .WithOrder(BeforeEveryRoute).WithDisplayName("session sign-out").WithMetadata(new AllowAnonymousAttribute());
        // "Your devices": the list, and everything under it (a handle), so no path below it is ever forwarded.
        var sessionsEndpoint = endpoints.ServiceProvider.GetRequiredService<SessionsEndpoint>();
        var sessionsPath = settings.SessionsPath.TrimEnd('/');
        endpoints.Map(sessionsPath, sessionsEndpoint.ListAsync)
            .WithOrder(BeforeEveryRoute).WithDisplayName("your sessions").WithMetadata(new AllowAnonymousAttribute());
        endpoints.Map(sessionsPath + "/{**" + SessionsEndpoint.HandleRouteValue + "}", sessionsEndpoint.EndAsync)
            .WithOrder(BeforeEveryRoute).WithDisplayName("end one of your sessions").WithMetadata(new AllowAnonymousAttribute());
        // A plain request delegate, like the ones above: a minimal-API handler with parameters would make the
        // framework build its parameter binding (form mapping included) at start, hundreds of methods to compile.
        endpoints.MapGet(settings.JwksPath, static context =>
            {
                // Short caching: a new key is published a whole rotation period before it signs.
                context.Response.Headers.CacheControl = "public, max-age=300";
                context.Response.ContentType = "application/json";
                return context.Response.WriteAsync(context.RequestServices.GetRequiredService<SessionEngine>().JwksJson, context.RequestAborted);
            })
            .WithOrder(BeforeEveryRoute).WithDisplayName("JWKS").WithMetadata(new AllowAnonymousAttribute());
        endpoints.MapUsersFileSignIn(settings, BeforeEveryRoute);
    }
}
