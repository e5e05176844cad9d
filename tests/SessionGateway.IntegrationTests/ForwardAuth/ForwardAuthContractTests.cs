using System.Net;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>
/// The decision endpoint (<c>Session:ForwardAuth:Path</c>) asked the way each proxy asks: Traefik and Caddy
/// (<c>X-Forwarded-*</c>), nginx (<c>X-Original-URI</c>), ingress-nginx (<c>X-Original-URL</c>) and Envoy (the request
/// under the decision path). The same routes and policies decide as in proxy mode; nothing is forwarded.
/// </summary>
public sealed class ForwardAuthContractTests : IAsyncLifetime
{
    private const string DecisionPath = "/api/verify";
    private SessionHarness _harness = null!;

    internal static SessionHarnessOptions Options(string? trustedProxies = null) => new()
    {
        ExtraSessionYaml = "  ForwardAuth:\n    Path: " + DecisionPath + (trustedProxies is null ? "" : "\n    TrustedProxies: [" + trustedProxies + "]"),
    };

    public async Task InitializeAsync() => _harness = await SessionHarness.StartAsync(Options());

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>What Traefik's ForwardAuth (and Caddy's forward_auth) sends: a GET to the decision path with the original request in headers.</summary>
    private static HttpRequestMessage Traefik(SessionClient? client, string method, string uri, string host = "app.example.com")
    {
        var request = client?.NewRequest(HttpMethod.Get, DecisionPath) ?? new HttpRequestMessage(HttpMethod.Get, DecisionPath);
        request.Headers.Add("X-Forwarded-Method", method);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", host);
        request.Headers.Add("X-Forwarded-Uri", uri);
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        return request;
    }

    /// <summary>What the shipped nginx snippet's auth_request location sends.</summary>
    private static HttpRequestMessage Nginx(SessionClient? client, string method, string uri)
    {
        var request = client?.NewRequest(HttpMethod.Get, DecisionPath) ?? new HttpRequestMessage(HttpMethod.Get, DecisionPath);
        request.Headers.Add("X-Original-Method", method);
        request.Headers.Add("X-Original-URI", uri);
        request.Headers.Add("X-Forwarded-Host", "app.example.com");
        request.Headers.Add("X-Forwarded-Proto", "https");
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await _harness.Http.SendAsync(request);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) => Wire.Header(response, name);

    /// <summary>Only the logins (through the harness's login route) reached the upstream: no decision request did.</summary>
    private void AssertNothingForwarded() =>
        Assert.All(_harness.Upstream.LogEntries, entry => Assert.StartsWith("/login/", entry.RequestMessage.Path, StringComparison.Ordinal));

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Traefik_ValidSession_Is200WithTheIdentityHeadersToCopy_AndNothingIsForwarded(TokenMode mode)
    {
        var alice = await _harness.LoginAsync(mode, "alice", """{"role":"user"}""");

        using var response = await SendAsync(Traefik(alice, "POST", "/api/orders?id=7"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Header(response, "X-User-Id"));
        Assert.Equal(Wire.JwtPayload(alice.AccessToken!).GetProperty("sessionHandle").GetString(), Header(response, "X-Session-Handle"));
        Assert.Equal("user", Header(response, "X-User-Role"));
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        // The proxy copies Cookie and Authorization back: neither carries a gateway token.
        Assert.Null(Header(response, "Cookie"));
        Assert.Null(Header(response, "Authorization"));
        AssertNothingForwarded();
    }

    [Fact]
    public async Task Traefik_CookiesBesideTheToken_AreAnsweredWithoutTheToken_AndAForeignAuthorizationIsKept()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");
        var request = Traefik(null, "GET", "/api/x");
        request.Headers.Add("Cookie", $"theme=dark; sAccessToken={alice.AccessToken}; lang=en");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic YXBwOnNlY3JldA==");

        using var response = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("theme=dark; lang=en", Header(response, "Cookie"));
        Assert.Equal("Basic YXBwOnNlY3JldA==", Header(response, "Authorization"));
        Assert.Equal("alice", Header(response, "X-User-Id"));
    }

    [Fact]
    public async Task Traefik_NoSession_IsTheProxyModeAnswer401()
    {
        using var response = await SendAsync(Traefik(null, "GET", "/api/orders"));

        await Wire.AssertJsonAsync(response, 401, """{"message":"unauthorised"}""");
        Assert.Null(Header(response, "X-User-Id"));
        AssertNothingForwarded();
    }

    [Fact]
    public async Task Traefik_ExpiredToken_Is440TryRefreshToken()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");
        _harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));

        using var response = await SendAsync(Traefik(alice, "GET", "/api/orders"));

        await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
    }

    [Fact]
    public async Task Traefik_MissingClaim_Is403WithTheClaimErrors_AndTheClaimLetsItThrough()
    {
        var bob = await _harness.LoginAsync(TokenMode.Cookie, "bob", """{"role":"user"}""");
        var root = await _harness.LoginAsync(TokenMode.Cookie, "root", """{"role":"admin"}""");

        using var refused = await SendAsync(Traefik(bob, "GET", "/admin/panel"));
        using var allowed = await SendAsync(Traefik(root, "GET", "/admin/panel"));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("invalid claim", body.RootElement.GetProperty("message").GetString());
        Assert.Equal("role", body.RootElement.GetProperty("claimValidationErrors")[0].GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("admin", Header(allowed, "X-User-Role"));
    }

    [Fact]
    public async Task Traefik_PublicRoute_WithoutSession_Is200WithoutIdentity()
    {
        using var response = await SendAsync(Traefik(null, "GET", "/public/page"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Header(response, "X-User-Id"));
        Assert.Null(Header(response, "X-Session-Handle"));
    }

    [Fact]
    public async Task Traefik_PathMatchingNoRouteOfItsOwn_NeedsASession()
    {
        // The harness's catch-all route has no policy: a session is required, as for paths that match no route.
        using var response = await SendAsync(Traefik(null, "GET", "/anything/else"));

        await Wire.AssertJsonAsync(response, 401, """{"message":"unauthorised"}""");
    }

    [Theory]
    [InlineData("GET", "/api/sessions")]
    [InlineData("DELETE", "/api/sessions/some-handle")]
    [InlineData("GET", "/API/Sessions/x")]
    [InlineData("GET", "/api/Sessions/1/edit")]
    [InlineData("POST", "/api/refresh")]
    [InlineData("POST", "/api/signout")]
    [InlineData("GET", "/.well-known/jwks.json")]
    public async Task GatewaysOwnPaths_DescribedInADecision_NeedASession_NeverLetThroughByTheGatewayEndpoint(string method, string uri)
    {
        // The ingress asks about a path the gateway answers itself: it is about to send it to the app (a
        // configuration that does not route it to the gateway, or a spelling the ingress matches case-sensitively).
        // The gateway's own endpoint lets anyone in because the gateway judges those requests itself; a decision must
        // not take that for "allowed".
        using var traefik = await SendAsync(Traefik(null, method, uri));
        using var nginx = await SendAsync(Nginx(null, method, uri));
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");
        using var withSession = await SendAsync(Traefik(alice, method, uri));

        await Wire.AssertJsonAsync(traefik, 401, """{"message":"unauthorised"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, nginx.StatusCode);
        Assert.Null(Header(nginx, "X-User-Id"));
        Assert.Equal(HttpStatusCode.OK, withSession.StatusCode);
        Assert.Equal("alice", Header(withSession, "X-User-Id"));
        AssertNothingForwarded();
    }

    [Theory]
    [InlineData("/admin%2Fpanel", """{"message":"request path refused: encoded slash"}""")]
    [InlineData("/public/..%2Fadmin", """{"message":"request path refused: encoded slash"}""")]
    public async Task Traefik_PathsUpstreamsReadDifferently_AreRefusedAsInProxyMode(string uri, string body)
    {
        using var response = await SendAsync(Traefik(null, "GET", uri));

        await Wire.AssertJsonAsync(response, 400, body);
    }

    [Theory]
    [InlineData("/public/../admin/panel")]
    [InlineData("/public/%2e%2e/admin/panel")]
    [InlineData("/public/./x")]
    public async Task DotSegments_InTheOriginalUri_AreRefused_NotJudgedAsAnotherPath(string uri)
    {
        var bob = await _harness.LoginAsync(TokenMode.Cookie, "bob", """{"role":"user"}""");

        using var response = await SendAsync(Traefik(bob, "GET", uri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("dot segments", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-Original-URL", "http://app.example.com/public/page")]
    [InlineData("X-Original-URI", "/public/page")]
    public async Task Traefik_AClientsOwnDescriptionBesideTheProxys_IsRefused_NeitherIsBelieved(string header, string value)
    {
        // Traefik sets X-Forwarded-Uri and passes the client's other headers on: a second description is the client's.
        var request = Traefik(null, "GET", "/admin/panel");
        request.Headers.Add(header, value);

        using var response = await SendAsync(request);

        // 401 + X-Session-Status for nginx's sake (an X-Original-* header is there), and never an allowed answer.
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        var status = Header(response, "X-Session-Status") ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("400", status);
        AssertNothingForwarded();
    }

    [Fact]
    public async Task Nginx_AClientsXForwardedUriBesideTheProxysDescription_IsRefused()
    {
        var request = Nginx(null, "GET", "/admin/panel");
        request.Headers.Add("X-Forwarded-Uri", "/public/page");

        using var response = await SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("400", Header(response, "X-Session-Status"));
        Assert.Contains("described more than once", Header(response, "X-Session-Body"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/public/a%00b")]
    [InlineData("/public/a%00")]
    public async Task Traefik_AnEncodedNulInTheOriginalPath_Is400NotA500(string uri)
    {
        using var response = await SendAsync(Traefik(null, "GET", uri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("NUL", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nginx_ABytePastAsciiInTheOriginalUri_IsTheMapped400_NotKestrelsBare400()
    {
        // nginx passes $request_uri as the client sent it; Kestrel would refuse the header itself (a bare 400, which
        // nginx's auth_request turns into a 500 for the client).
        var raw = RawClient.Request("GET", DecisionPath, "X-Original-Method: GET", "X-Original-URI: /caf\u00e9", "X-Forwarded-Host: app.example.com");

        var response = await RawClient.SendAsync(_harness.Gateway.Address, raw);

        Assert.Equal(401, response.Status);
        Assert.Equal("400", response.Header("X-Session-Status"));
    }

    [Fact]
    public async Task Nginx_Refusals_Are401CarryingTheRealStatusAndBody()
    {
        var bob = await _harness.LoginAsync(TokenMode.Cookie, "bob", """{"role":"user"}""");
        var expired = await _harness.LoginAsync(TokenMode.Cookie, "carol");

        using var missing = await SendAsync(Nginx(null, "GET", "/api/orders"));
        using var forbidden = await SendAsync(Nginx(bob, "GET", "/admin/panel"));
        using var badPath = await SendAsync(Nginx(null, "GET", "/public/../admin"));
        _harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));
        using var stale = await SendAsync(Nginx(expired, "GET", "/api/orders"));

        foreach (var (response, status) in new[] { (missing, "401"), (forbidden, "403"), (badPath, "400"), (stale, "440") })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(status, Header(response, "X-Session-Status"));
        }

        Assert.Equal("""{"message":"unauthorised"}""", Header(missing, "X-Session-Body"));
        Assert.Equal("""{"message":"try refresh token"}""", Header(stale, "X-Session-Body"));
        using var claims = JsonDocument.Parse(Header(forbidden, "X-Session-Body")!);
        Assert.Equal("invalid claim", claims.RootElement.GetProperty("message").GetString());
        Assert.Contains("dot segments", Header(badPath, "X-Session-Body"), StringComparison.Ordinal);
        AssertNothingForwarded();
    }

    [Fact]
    public async Task Nginx_Allowed_Is200WithIdentity()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");

        using var response = await SendAsync(Nginx(alice, "DELETE", "/api/orders/7"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Header(response, "X-User-Id"));
        Assert.Null(Header(response, "X-Session-Status"));
    }

    [Fact]
    public async Task IngressNginx_OriginalUrl_GivesSchemeHostAndPath()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");
        var request = alice.NewRequest(HttpMethod.Get, DecisionPath);
        request.Headers.Add("X-Original-URL", "https://app.example.com/admin/panel?x=1");
        request.Headers.Add("X-Original-Method", "GET");

        using var response = await SendAsync(request);

        // alice has no role: the admin route's policy decided, so the path came from the URL.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("403", Header(response, "X-Session-Status"));
    }

    [Fact]
    public async Task Envoy_CheckUnderThePathPrefix_IsJudgedAsTheRequestItself()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice", """{"role":"user"}""");

        using var allowed = await _harness.Http.SendAsync(alice.NewRequest(HttpMethod.Post, DecisionPath + "/api/orders?id=7"));
        using var forbidden = await _harness.Http.SendAsync(alice.NewRequest(HttpMethod.Get, DecisionPath + "/admin/panel"));
        using var missing = await _harness.Http.GetAsync(DecisionPath + "/api/orders");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("alice", Header(allowed, "X-User-Id"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        await Wire.AssertJsonAsync(missing, 401, """{"message":"unauthorised"}""");
        AssertNothingForwarded();
    }

    [Fact]
    public async Task Envoy_IsToldToRemoveEveryGatewayOwnedHeaderTheClientSent_AndTheTokens()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");
        var headerMode = await _harness.LoginAsync(TokenMode.Header, "bob");
        var raw = RawClient.Request("GET", DecisionPath + "/api/orders",
            "Cookie: sAccessToken=" + alice.AccessToken,
            "X-User-Id: mallory",
            "X_User_Id: mallory",
            "x-session-assertion: forged",
            "X-Session-Extra: 1");

        var cookieResponse = await RawClient.SendAsync(_harness.Gateway.Address, raw);
        using var bearer = await _harness.Http.SendAsync(headerMode.NewRequest(HttpMethod.Get, DecisionPath + "/api/orders"));

        Assert.Equal(200, cookieResponse.Status);
        Assert.Equal("alice", cookieResponse.Header("X-User-Id"));
        var remove = cookieResponse.Header("x-envoy-auth-headers-to-remove")!.Split(", ");
        // X-User-Id is set by the answer (Envoy overrides it); the other spellings and the prefix are removed, and so
        // is the Cookie, which held nothing but the token.
        Assert.Equal(new[] { "cookie", "x-session-assertion", "x-session-extra", "x_user_id" }, remove.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Contains("authorization", Header(bearer, "x-envoy-auth-headers-to-remove")!.Split(", "));
        Assert.Null(Header(bearer, "Authorization"));
    }

    [Fact]
    public async Task Envoy_DotSegmentsUnderThePathPrefix_AreRefused_NotProxied()
    {
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");

        var response = await RawClient.SendAsync(_harness.Gateway.Address, RawClient.Request("GET", DecisionPath + "/../public/x", "Cookie: sAccessToken=" + alice.AccessToken));

        Assert.Equal(400, response.Status);
        AssertNothingForwarded();
    }

    [Fact]
    public async Task TheDecisionPath_IsNeverForwarded_WhateverTheMethod()
    {
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Options })
        {
            using var response = await _harness.Http.SendAsync(new HttpRequestMessage(method, DecisionPath + "/public/x"));
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, method + ": " + response.StatusCode);
        }

        AssertNothingForwarded();
    }
}
