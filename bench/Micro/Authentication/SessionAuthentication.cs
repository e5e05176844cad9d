using Microsoft.AspNetCore.Authentication;
using SessionGateway.Authentication;
using SessionGateway.Micro.Infrastructure;

namespace SessionGateway.Micro.Authentication;

/// <summary>
/// <see cref="SessionAuthenticationHandler"/> as <c>app.UseAuthentication()</c> runs it: ASP.NET Core's
/// <see cref="AuthenticationMiddleware"/> over the scheme the gateway registers (<c>AddSessionAuthentication</c>), on
/// a request scope as the host creates one per request (the handler is resolved from it). The token was verified
/// before, so the engine answers from its cache. The baseline is the request scope alone.
/// </summary>
[MemoryDiagnoser]
public class SessionAuthentication
{
    private BenchGateway _gateway = null!;
    private IServiceScopeFactory _scopes = null!;
    private AuthenticationMiddleware _middleware = null!;
    private HttpContext _cookie = null!;
    private HttpContext _bearer = null!;
    private HttpContext _anonymous = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = BenchGateway.Start();
        _scopes = _gateway.Services.GetRequiredService<IServiceScopeFactory>();
        _middleware = new AuthenticationMiddleware(static _ => Task.CompletedTask, _gateway.Services.GetRequiredService<IAuthenticationSchemeProvider>());
        var token = _gateway.CreateSession().AccessToken;
        _cookie = BrowserRequests.Get(BrowserRequests.CookieHeader(token));
        _bearer = BrowserRequests.Get(cookie: null, authorization: "Bearer " + token);
        _anonymous = BrowserRequests.Get(BrowserRequests.OtherCookies);
        if (!Authenticate(_cookie).GetAwaiter().GetResult() || !Authenticate(_bearer).GetAwaiter().GetResult()
            || Authenticate(_anonymous).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("Set-up: the requests do not authenticate as intended.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.Dispose();

    /// <summary>The request scope every request gets from the host, without authentication.</summary>
    [Benchmark(Baseline = true)]
    public bool ScopeOnly()
    {
        using var scope = _scopes.CreateScope();
        _anonymous.RequestServices = scope.ServiceProvider;
        return _anonymous.RequestServices is null;
    }

    /// <summary>No token at all (an anonymous route still runs the scheme).</summary>
    [Benchmark]
    public Task<bool> NoToken() => Authenticate(_anonymous);

    /// <summary>The <c>sAccessToken</c> cookie among five others, verified before.</summary>
    [Benchmark]
    public Task<bool> CookieCacheHit() => Authenticate(_cookie);

    /// <summary><c>Authorization: Bearer</c> with a token verified before (header mode).</summary>
    [Benchmark]
    public Task<bool> BearerCacheHit() => Authenticate(_bearer);

    private async Task<bool> Authenticate(HttpContext context)
    {
        using var scope = _scopes.CreateScope();
        context.RequestServices = scope.ServiceProvider;
        await _middleware.Invoke(context);
        return context.User.Identity?.IsAuthenticated == true;
    }
}
