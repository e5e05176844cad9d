using SessionGateway.Micro.Infrastructure;
using SessionGateway.Transport;

namespace SessionGateway.Micro.Transport;

/// <summary>
/// <see cref="RequestTokens"/> on a browser's Cookie header with six cookies: finding <c>sAccessToken</c> (every
/// authenticated request), checking for token cookies (every forwarded request) and rebuilding the Cookie header
/// without them (every forwarded request that carries one). The headers are ASP.NET's
/// <see cref="HeaderDictionary"/>; Kestrel's own dictionary finds the Cookie header slightly faster.
/// </summary>
[MemoryDiagnoser]
public class CookieScan
{
    private IHeaderDictionary _signedIn = null!;
    private IHeaderDictionary _anonymous = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A JWT-sized value (the scan does not verify it).
        var token = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0." + new string('x', 420) + "." + new string('y', 86);
        _signedIn = BrowserRequests.Get(BrowserRequests.CookieHeader(token)).Request.Headers;
        _anonymous = BrowserRequests.Get(BrowserRequests.OtherCookies).Request.Headers;
        if (RequestTokens.Cookie(_signedIn, ProtocolNames.AccessTokenCookie, out _) != 1 || !RequestTokens.HasTokenCookie(_signedIn)
            || RequestTokens.HasTokenCookie(_anonymous))
        {
            throw new InvalidOperationException("Set-up: the cookie headers are not read as intended.");
        }
    }

    /// <summary>The authentication handler's read: count and a span of the raw value, no string.</summary>
    [Benchmark(Baseline = true)]
    public int FindAccessTokenSpan() => RequestTokens.Cookie(_signedIn, ProtocolNames.AccessTokenCookie, out var raw) + raw.Length;

    /// <summary>The refresh endpoint's read: the value as a decoded string.</summary>
    [Benchmark]
    public string? FindAccessTokenString() => RequestTokens.Cookie(_signedIn, ProtocolNames.AccessTokenCookie).Value;

    /// <summary>The transform's check on a signed-in request (found at the fourth cookie).</summary>
    [Benchmark]
    public bool HasTokenCookieSignedIn() => RequestTokens.HasTokenCookie(_signedIn);

    /// <summary>The transform's check on an anonymous request: every cookie name examined.</summary>
    [Benchmark]
    public bool HasTokenCookieAnonymous() => RequestTokens.HasTokenCookie(_anonymous);

    /// <summary>The Cookie header forwarded upstream: the five other cookies, without <c>sAccessToken</c>.</summary>
    [Benchmark]
    public string? CookiesWithoutTokens() => RequestTokens.CookiesWithoutTokens(_signedIn);
}
