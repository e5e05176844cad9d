using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>
/// The shipped configurations (deploy/nginx, deploy/caddy/Caddyfile) run by real nginx and Caddy in front of the
/// gateway's decision endpoint, the gateway running the example they are written for (deploy/proxy.forward-auth.yaml),
/// over raw sockets on both sides: what the client sends byte for byte, and what the app behind the proxy receives byte
/// for byte (<see cref="RawUpstream"/>). Client-sent identity headers in any spelling and the gateway's tokens never
/// reach the app; a client's own description of "the original request" never reaches the gateway; the client gets the
/// gateway's own answers (401, 440, 403 with the claim errors) with their exact bodies; the gateway's own paths ("your
/// devices") reach the gateway, never the app. Skipped only where the proxy is
/// not installed (tests/run-all.sh installs it).
/// </summary>
public sealed class ShippedProxyTests(ShippedProxyFixture fixture) : IClassFixture<ShippedProxyFixture>
{
    /// <summary>Every spelling of a header the gateway owns that a client might try, each with a value of its own.</summary>
    private static readonly string[] Spoofed =
    [
        "X-User-Id: spoofed-1",
        "x-user-id: spoofed-2",
        "X-USER-ID: spoofed-3",
        "X_User_Id: spoofed-4",
        "x-user_id: spoofed-5",
        "X-Session-Handle: spoofed-6",
        "x_session_handle: spoofed-7",
        "X-User-Role: spoofed-admin-8",
        "x_user_role: spoofed-admin-9",
        "X-Session-Assertion: eyJhbGciOiJFUzI1NiJ9.spoofed-10.c2ln",
        "x-session-assertion: spoofed-11",
        "X_Session_Assertion: spoofed-12",
        "X-Session-Anything: spoofed-13",
        "x-SESSION-roles: spoofed-14",
        "X-Session-Status: spoofed-15",
        "X-Session-Body: spoofed-16",
        "st-access-token: spoofed-17",
        "ST_REFRESH_TOKEN: spoofed-18",
    ];

    /// <summary>Every description header a client might send at once, each naming a public page.</summary>
    private static readonly string[] EveryDescription = ["X-Original-URL: http://x/", "X-Original-URI: /", "X-Original-Method: GET", "X-Forwarded-Uri: /public/x", "X-Forwarded-Method: GET"];

    /// <summary>
    /// A client's own descriptions of "the original request" (the headers nginx, ingress-nginx, Traefik and Caddy send the
    /// gateway), each naming a public page. Only the proxy may describe the request: a client's must never reach the
    /// gateway, which believes them from the proxy's address.
    /// </summary>
    public static TheoryData<ProxyKind, string[]> SpoofedDescriptions()
    {
        string[][] descriptions =
        [
            ["X-Original-URL: http://x/"],
            ["X-Original-URI: /"],
            ["X-Forwarded-Uri: /public/x"],
            ["x-original-url: http://app.example.com/public/x", "X-Original-Method: GET"],
            EveryDescription,
        ];
        var data = new TheoryData<ProxyKind, string[]>();
        foreach (var kind in new[] { ProxyKind.Nginx, ProxyKind.Caddy })
        {
            foreach (var description in descriptions)
            {
                data.Add(kind, description);
            }
        }

        return data;
    }

    private SessionHarness Harness => fixture.Harness;

    private static void SkipUnlessInstalled(ProxyKind kind)
    {
        var reason = ShippedProxy.Unavailable(kind);
        Skip.If(reason is not null, $"{kind}: {reason}");
    }

    private async Task<(RawResponse Response, RawRequest? Upstream, ShippedProxy Proxy)> SendAsync(ProxyKind kind, string target, params string[] headers)
    {
        var proxy = await fixture.ProxyAsync(kind);
        var request = $"GET {target} HTTP/1.1\r\nHost: app.example.com\r\n{string.Concat(headers.Select(h => h + "\r\n"))}Connection: close\r\n\r\n";
        var response = await RawClient.SendAsync(proxy.Address, request);
        var upstream = fixture.App.Requests.SingleOrDefault(r => r.Target == target);
        return (response, upstream, proxy);
    }

    private static string Unique(string prefix, ProxyKind kind) => $"{prefix}/{kind}-{Guid.NewGuid():N}";

    /// <summary>No header of the upstream request is a gateway-owned one but those the gateway set.</summary>
    private static void AssertNothingSpoofed(RawRequest upstream)
    {
        Assert.DoesNotContain("spoofed", upstream.HeadText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(upstream.Headers, h => h.Key.Contains('_', StringComparison.Ordinal));
        Assert.DoesNotContain(upstream.Headers, h => h.Key.StartsWith("st-", StringComparison.OrdinalIgnoreCase));
        // Placeholder text of a proxy that copies a header the answer did not have (Caddy 2.6's copy_headers).
        Assert.DoesNotContain("{http.", upstream.HeadText, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task Session_SpoofedIdentityInEverySpelling_TheAppGetsOnlyTheGatewaysIdentity_AndNoToken(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var alice = await Harness.CreateSessionAsync("alice", """{"role":"user"}""");
        var target = Unique("/api/orders", kind) + "?id=7";

        var (response, upstream, proxy) = await SendAsync(kind, target, [$"Cookie: theme=dark; sAccessToken={alice.AccessToken}", $"Cookie: sRefreshToken={alice.RefreshToken}; lang=en", .. Spoofed]);

        Assert.True(response.Status == 200, $"{response.Status} {response.Body}\n{proxy.Output}");
        Assert.Equal("upstream ok", response.Body);
        Assert.NotNull(upstream);
        Assert.Equal("alice", upstream.Header("X-User-Id"));
        Assert.Equal(alice.SessionHandle, upstream.Header("X-Session-Handle"));
        Assert.Equal("user", upstream.Header("X-User-Role"));
        Assert.Equal(["X-Session-Handle"], upstream.Headers.Where(h => h.Key.StartsWith("X-Session-", StringComparison.OrdinalIgnoreCase)).Select(h => h.Key));
        AssertNothingSpoofed(upstream);
        Assert.Equal("theme=dark; lang=en", string.Join("; ", upstream.Values("Cookie")));
        Assert.DoesNotContain(alice.AccessToken, upstream.HeadText, StringComparison.Ordinal);
        Assert.DoesNotContain(alice.RefreshToken, upstream.HeadText, StringComparison.Ordinal);
        Assert.Null(upstream.Header("Authorization"));
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task HeaderMode_TheBearerTokenAndTheSdksTokenCookies_NeverReachTheApp(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var frank = await Harness.CreateSessionAsync("frank");
        var target = Unique("/api/me", kind);

        var (response, upstream, proxy) = await SendAsync(
            kind,
            target,
            $"Authorization: Bearer {frank.AccessToken}",
            $"Cookie: st-access-token={frank.AccessToken}; st-refresh-token={frank.RefreshToken}; theme=dark");

        Assert.True(response.Status == 200, $"{response.Status} {response.Body}\n{proxy.Output}");
        Assert.NotNull(upstream);
        Assert.Equal("frank", upstream.Header("X-User-Id"));
        Assert.Null(upstream.Header("Authorization"));
        Assert.Equal("theme=dark", upstream.Header("Cookie"));
        Assert.DoesNotContain(frank.AccessToken, upstream.HeadText, StringComparison.Ordinal);
        Assert.DoesNotContain(frank.RefreshToken, upstream.HeadText, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task PublicRoute_NoSession_SpoofedIdentityIsRemoved_NotLeftOrFilledIn(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var target = Unique("/public/page", kind);

        var (response, upstream, proxy) = await SendAsync(kind, target, Spoofed);

        Assert.True(response.Status == 200, $"{response.Status} {response.Body}\n{proxy.Output}");
        Assert.NotNull(upstream);
        Assert.Null(upstream.Header("X-User-Id"));
        Assert.Null(upstream.Header("X-User-Role"));
        Assert.DoesNotContain(upstream.Headers, h => h.Key.StartsWith("X-Session-", StringComparison.OrdinalIgnoreCase));
        Assert.Null(upstream.Header("Cookie"));
        Assert.Null(upstream.Header("Authorization"));
        AssertNothingSpoofed(upstream);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task PublicRoute_OnlyTheGatewaysCookies_NoCookieReachesTheApp_AForeignBearerDoes(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var carol = await Harness.CreateSessionAsync("carol");
        var withCookie = Unique("/public/cookie", kind);
        var withForeignBearer = Unique("/public/bearer", kind);

        var (first, cookieOnly, proxy) = await SendAsync(kind, withCookie, $"Cookie: sAccessToken={carol.AccessToken}");
        var (second, foreign, _) = await SendAsync(kind, withForeignBearer, "Authorization: Bearer the-apps-own-token");

        Assert.True(first.Status == 200, $"{first.Status} {first.Body}\n{proxy.Output}");
        Assert.NotNull(cookieOnly);
        Assert.Equal("carol", cookieOnly.Header("X-User-Id"));
        Assert.Empty(cookieOnly.Values("Cookie"));
        Assert.DoesNotContain(carol.AccessToken, cookieOnly.HeadText, StringComparison.Ordinal);
        Assert.Equal(200, second.Status);
        Assert.NotNull(foreign);
        Assert.Equal("Bearer the-apps-own-token", foreign.Header("Authorization"));
        Assert.Null(foreign.Header("X-User-Id"));
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task NoSession_IsTheGateways401_WithItsBody_AndNothingReachesTheApp(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var target = Unique("/api/orders", kind);

        var (response, upstream, proxy) = await SendAsync(kind, target, Spoofed);

        AssertGatewayAnswer(response, 401, """{"message":"unauthorised"}""", proxy);
        Assert.Null(upstream);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task ExpiredAccessToken_Is440TryRefreshToken_WithItsBody_AndNothingReachesTheApp(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var dave = await Harness.CreateSessionAsync("dave");
        Harness.Clock.Advance(fixture.AccessTokenLifetime + TimeSpan.FromSeconds(2));
        var target = Unique("/api/orders", kind);

        var (response, upstream, proxy) = await SendAsync(kind, target, $"Cookie: sAccessToken={dave.AccessToken}");

        AssertGatewayAnswer(response, 440, """{"message":"try refresh token"}""", proxy);
        Assert.Null(upstream);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task MissingClaim_Is403WithTheSameClaimErrorsAsProxyMode_TheClaimLetsItThrough(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var erin = await Harness.CreateSessionAsync("erin", """{"role":"user"}""");
        var root = await Harness.CreateSessionAsync("root", """{"role":"admin"}""");
        var refusedTarget = Unique("/admin/panel", kind);
        var allowedTarget = Unique("/admin/panel", kind);
        using var proxyMode = new HttpRequestMessage(HttpMethod.Get, "/admin/panel");
        proxyMode.Headers.Add("Cookie", "sAccessToken=" + erin.AccessToken);
        using var direct = await Harness.Http.SendAsync(proxyMode);
        var claimErrors = await direct.Content.ReadAsStringAsync();

        var (refused, notForwarded, proxy) = await SendAsync(kind, refusedTarget, $"Cookie: sAccessToken={erin.AccessToken}");
        var (allowed, forwarded, _) = await SendAsync(kind, allowedTarget, $"Cookie: sAccessToken={root.AccessToken}");

        Assert.Equal(403, (int)direct.StatusCode);
        Assert.Equal("invalid claim", JsonDocument.Parse(claimErrors).RootElement.GetProperty("message").GetString());
        AssertGatewayAnswer(refused, 403, claimErrors, proxy);
        Assert.Null(notForwarded);
        Assert.Equal(200, allowed.Status);
        Assert.NotNull(forwarded);
        Assert.Equal("admin", forwarded.Header("X-User-Role"));
    }

    [SkippableTheory]
    [MemberData(nameof(SpoofedDescriptions))]
    public async Task NoSession_AClientsOwnDescriptionOfAPublicPage_IsNotBelieved_TheGateways401_AndNothingReachesTheApp(ProxyKind kind, string[] description)
    {
        SkipUnlessInstalled(kind);
        var target = Unique("/api/orders", kind);

        var (response, upstream, proxy) = await SendAsync(kind, target, description);

        AssertGatewayAnswer(response, 401, """{"message":"unauthorised"}""", proxy);
        Assert.Null(upstream);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task MissingClaim_AClientsOwnDescriptionOfAPublicPage_IsNotBelieved_The403_AndNothingReachesTheApp(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var grace = await Harness.CreateSessionAsync("grace", """{"role":"user"}""");
        var target = Unique("/admin/panel", kind);

        var (response, upstream, proxy) = await SendAsync(kind, target, [$"Cookie: sAccessToken={grace.AccessToken}", .. EveryDescription]);

        Assert.True(response.Status == 403, $"expected 403, got {response.Status} {response.Body}\n{proxy.Output}");
        Assert.Equal("invalid claim", JsonDocument.Parse(Dechunk(response)).RootElement.GetProperty("message").GetString());
        Assert.Null(upstream);
    }

    [SkippableTheory]
    [InlineData(ProxyKind.Nginx)]
    [InlineData(ProxyKind.Caddy)]
    public async Task YourDevices_ListAndEndAnotherSession_AreAnsweredByTheGateway_NeverTheApp_AndSessionsXIsTheApps(ProxyKind kind)
    {
        SkipUnlessInstalled(kind);
        var userId = $"ivy-{kind}-{Guid.NewGuid():N}";
        var laptop = await Harness.CreateSessionAsync(userId);
        var phone = await Harness.CreateSessionAsync(userId);
        var cookie = $"Cookie: sAccessToken={laptop.AccessToken}";
        var proxy = await fixture.ProxyAsync(kind);

        var listed = await RawClient.SendAsync(proxy.Address, Request("GET", "/api/sessions", cookie));
        var ended = await RawClient.SendAsync(proxy.Address, Request("DELETE", "/api/sessions/" + phone.SessionHandle, cookie, "rid: session"));
        var afterwards = await RawClient.SendAsync(proxy.Address, Request("GET", "/api/sessions", cookie));
        var phoneAfterwards = await RawClient.SendAsync(proxy.Address, Request("GET", "/api/sessions", $"Cookie: sAccessToken={phone.AccessToken}"));
        var lookalike = "/api/sessionsX/" + Guid.NewGuid().ToString("N");
        var (app, upstream, _) = await SendAsync(kind, lookalike, cookie);

        // Never the app's: nothing under /api/sessions reached it (the app would have answered "upstream ok").
        Assert.DoesNotContain(fixture.App.Requests, r => r.Target.StartsWith("/api/sessions", StringComparison.Ordinal) && !r.Target.StartsWith("/api/sessionsX", StringComparison.Ordinal));
        Assert.True(listed.Status == 200, $"{listed.Status} {listed.Body}\n{proxy.Output}");
        var sessions = JsonDocument.Parse(Dechunk(listed)).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("handle").GetString()!, e => e.GetProperty("current").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { [laptop.SessionHandle] = true, [phone.SessionHandle] = false }, sessions);
        Assert.Equal("no-store", listed.Header("Cache-Control"));
        Assert.True(ended.Status == 204, $"{ended.Status} {ended.Body}\n{proxy.Output}");
        Assert.Equal(200, afterwards.Status);
        Assert.Equal([laptop.SessionHandle], JsonDocument.Parse(Dechunk(afterwards)).RootElement.EnumerateArray().Select(e => e.GetProperty("handle").GetString()));
        // The ended session's access token is refused at once (a revoked handle), as behind the gateway in proxy mode.
        Assert.Equal(440, phoneAfterwards.Status);

        // A path that only starts with the same letters is the app's, decided as any /api path.
        Assert.Equal(200, app.Status);
        Assert.Equal("upstream ok", app.Body);
        Assert.NotNull(upstream);
        Assert.Equal(userId, upstream.Header("X-User-Id"));
    }

    private static string Request(string method, string target, params string[] headers) =>
        $"{method} {target} HTTP/1.1\r\nHost: app.example.com\r\n{string.Concat(headers.Select(h => h + "\r\n"))}Connection: close\r\n\r\n";

    /// <summary>The gateway's proxy-mode answer: status, the exact JSON body, its content type, no-store, no helper header.</summary>
    private static void AssertGatewayAnswer(RawResponse response, int status, string body, ShippedProxy proxy)
    {
        Assert.True(response.Status == status, $"expected {status}, got {response.Status} {response.Body}\n{proxy.Output}");
        Assert.Equal(body, Dechunk(response));
        Assert.StartsWith("application/json", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("no-store", response.Header("Cache-Control"));
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("X-Session-", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The body of a response, chunked or not (Caddy streams the gateway's answer chunked).</summary>
    private static string Dechunk(RawResponse response)
    {
        if (response.Header("Transfer-Encoding") is null)
        {
            return response.Body;
        }

        var body = new System.Text.StringBuilder();
        var rest = response.Body.AsSpan();
        while (true)
        {
            var lineEnd = rest.IndexOf("\r\n");
            var size = Convert.ToInt32(rest[..lineEnd].ToString(), 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(rest.Slice(lineEnd + 2, size));
            rest = rest[(lineEnd + 2 + size + 2)..];
        }
    }
}
