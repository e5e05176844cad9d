using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using SessionGateway.Authentication;
using SessionGateway.Authorization;
using SessionGateway.Telemetry;
using SessionGateway.Micro.Infrastructure;

namespace SessionGateway.Micro.Authentication;

/// <summary>
/// Authentication on the request path: <see cref="RouteAccessMiddleware"/> as the gateway runs it (the session
/// authenticator and a route whose policy is "a session"), and for comparison the scheme as <c>app.UseAuthentication()</c>
/// would run it: ASP.NET Core's <see cref="AuthenticationMiddleware"/> over <see cref="SessionAuthenticationHandler"/>, on a
/// request scope as the host creates one per request (the handler is resolved from it). The token was verified
/// before, so the engine answers from its cache. The baseline is the request scope alone.
/// </summary>
[MemoryDiagnoser]
public class SessionAuthentication
{
    private BenchGateway _gateway = null!;
    private System.Diagnostics.Metrics.MeterListener _meters = null!;
    private long _counted;
    private IServiceScopeFactory _scopes = null!;
    private AuthenticationMiddleware _middleware = null!;
    private RouteAccessMiddleware _routeAccess = null!;
    private HttpContext _cookie = null!;
    private HttpContext _bearer = null!;
    private HttpContext _anonymous = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();

        // As with an exporter attached: the SessionGateway counters are listened to, so the per-request counter add
        // is measured with its work, not as the no-op it is without a listener.
        _meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SessionMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _counted, value));
        _meters.Start();
        _scopes = _gateway.Services.GetRequiredService<IServiceScopeFactory>();
        _middleware = new AuthenticationMiddleware(static _ => Task.CompletedTask, _gateway.Services.GetRequiredService<IAuthenticationSchemeProvider>());
        _routeAccess = new RouteAccessMiddleware(
            static _ => Task.CompletedTask,
            _gateway.Services.GetRequiredService<SessionAuthenticator>(),
            _gateway.Services.GetRequiredService<RouteAccessPolicies>(),
            _gateway.Services.GetRequiredService<IAuthorizationService>(),
            _gateway.Services.GetRequiredService<SessionMetrics>(),
            _gateway.Services.GetRequiredService<SessionGateway.Oidc.BrowserNavigation>());
        var token = _gateway.CreateSession().AccessToken;
        _cookie = BrowserRequests.Get(BrowserRequests.CookieHeader(token));
        _bearer = BrowserRequests.Get(cookie: null, authorization: "Bearer " + token);
        _anonymous = BrowserRequests.Get(BrowserRequests.OtherCookies);
        var sessionRoute = new Endpoint(static _ => Task.CompletedTask, new EndpointMetadataCollection(new AuthorizeAttribute()), "app");
        _cookie.SetEndpoint(sessionRoute);
        _bearer.SetEndpoint(sessionRoute);
        _anonymous.SetEndpoint(new Endpoint(static _ => Task.CompletedTask, new EndpointMetadataCollection(new AllowAnonymousAttribute()), "public"));
        if (!Authenticate(_cookie).GetAwaiter().GetResult() || !Authenticate(_bearer).GetAwaiter().GetResult()
            || Authenticate(_anonymous).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("Set-up: the requests do not authenticate as intended.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meters.Dispose();
        _gateway.Dispose();
    }

    /// <summary>The request scope every request gets from the host, without authentication.</summary>
    [Benchmark(Baseline = true)]
    public bool ScopeOnly()
    {
        using var scope = _scopes.CreateScope();
        _anonymous.RequestServices = scope.ServiceProvider;
        return _anonymous.RequestServices is null;
    }

    /// <summary>The gateway: a public route, no token at all (an anonymous route still authenticates).</summary>
    [Benchmark]
    public Task RouteAccessNoToken() => _routeAccess.InvokeAsync(_anonymous);

    /// <summary>The gateway: a session route, the <c>sAccessToken</c> cookie among five others, verified before.</summary>
    [Benchmark]
    public Task RouteAccessCookieCacheHit() => _routeAccess.InvokeAsync(_cookie);

    /// <summary>The gateway: a session route, <c>Authorization: Bearer</c> with a token verified before (header mode).</summary>
    [Benchmark]
    public Task RouteAccessBearerCacheHit() => _routeAccess.InvokeAsync(_bearer);

    /// <summary>The framework's middleware over the scheme, no token at all.</summary>
    [Benchmark]
    public Task<bool> FrameworkNoToken() => Authenticate(_anonymous);

    /// <summary>The framework's middleware over the scheme, the cookie verified before.</summary>
    [Benchmark]
    public Task<bool> FrameworkCookieCacheHit() => Authenticate(_cookie);

    /// <summary>The framework's middleware over the scheme, the bearer token verified before.</summary>
    [Benchmark]
    public Task<bool> FrameworkBearerCacheHit() => Authenticate(_bearer);

    private async Task<bool> Authenticate(HttpContext context)
    {
        using var scope = _scopes.CreateScope();
        context.RequestServices = scope.ServiceProvider;
        await _middleware.Invoke(context);
        return context.User.Identity?.IsAuthenticated == true;
    }
}
