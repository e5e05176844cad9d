using SessionGateway.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.RateLimiting;

/// <summary>
/// Puts the login rate limit on every route with metadata <c>SessionLogin: "true"</c> or <c>"form"</c> as YARP loads it (at start and
/// on every reload). A route that names its own <c>RateLimiterPolicy</c> (for example <c>Disable</c>) keeps it.
/// </summary>
internal sealed class LoginRateLimitFilter : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => new(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        new(route.RateLimiterPolicy is null &&
            route.Metadata?.TryGetValue(LoginSettings.RouteMetadataKey, out var login) == true &&
            login is ("true" or FormLoginSettings.RouteMetadataValue)
            ? route with { RateLimiterPolicy = SessionRateLimits.LoginPolicy }
            : route);
}
