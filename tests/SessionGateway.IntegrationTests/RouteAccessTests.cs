using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.Sessions;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// The route access step (authentication and the route's policy in one middleware, in place of the framework's
/// UseAuthentication + UseAuthorization): the anti-CSRF and WebSocket-origin checks hold on every kind of route
/// (<c>default</c>, no policy, a claim policy, <c>anonymous</c>) and on sign-out, the framework's own middlewares
/// are not added behind the gateway's back, and a broken policy provider fails closed.
/// </summary>
public sealed class RouteAccessTests
{
    private const string TryRefresh = """{"message":"try refresh token"}""";
    private const string AllowedOrigin = "https://app.example";

    [Theory]
    [InlineData("/api/change", false)]
    [InlineData("/api/change", true)]
    [InlineData("/other/change", false)]
    [InlineData("/other/change", true)]
    [InlineData("/admin/change", false)]
    [InlineData("/admin/change", true)]
    [InlineData(SessionHarness.SignOutPath, false)]
    [InlineData(SessionHarness.SignOutPath, true)]
    public async Task CookiePostWithoutRid_WhereASessionIsNeeded_IsTryRefreshAndNotForwarded(string path, bool withRid)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "custom-header" });
        var root = await harness.LoginAsync(TokenMode.Cookie, "root", """{"role":"admin"}""");
        using var request = root.NewRequest(HttpMethod.Post, path);
        if (withRid)
        {
            request.Headers.Add("rid", "session");
        }

        using var response = await harness.Http.SendAsync(request);

        if (!withRid)
        {
            // 440, not 403 on the claim route: the session did not authenticate, so its claims were never looked at.
            await Wire.AssertJsonAsync(response, 440, TryRefresh);
            Wire.AssertSessionUntouched(response);
            Wire.AssertNotForwarded(harness, path);

            // Sign-out refused: the session was not revoked.
            using var still = await root.GetAsync("/api/still");
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (path == SessionHarness.SignOutPath)
            {
                Wire.AssertSessionCleared(response, TokenMode.Cookie);
                using var after = await root.GetAsync("/api/still");
                await Wire.AssertJsonAsync(after, 440, TryRefresh);
            }
            else
            {
                Assert.Equal("root", Assert.Single(harness.UpstreamRequests(path)).Header("X-User-Id"));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CookiePostWithoutRid_OnAnAnonymousRoute_IsForwardedWithoutIdentityOrToken(bool withRid)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "custom-header" });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        using var request = alice.NewRequest(HttpMethod.Post, "/public/form");
        request.Headers.Add("Cookie", "theme=dark");
        request.Headers.Add("X-User-Id", "mallory");
        if (withRid)
        {
            request.Headers.Add("rid", "session");
        }

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(harness.UpstreamRequests("/public/form"));
        Assert.Equal(withRid ? "alice" : null, seen.Header("X-User-Id"));
        Assert.Equal("theme=dark", seen.Header("Cookie"));
    }

    [Theory]
    [InlineData("/api/live", "https://evil.example", false)]
    [InlineData("/other/live", "https://evil.example", false)]
    [InlineData("/admin/live", "https://evil.example", false)]
    [InlineData("/public/live", "https://evil.example", true)]
    [InlineData("/api/live", AllowedOrigin, true)]
    [InlineData("/other/live", AllowedOrigin, true)]
    [InlineData("/admin/live", AllowedOrigin, true)]
    [InlineData("/public/live", AllowedOrigin, true)]
    public async Task CookieWebSocketHandshake_FromAnotherOrigin_HasNoSessionOnAnyRoute(string path, string origin, bool forwarded)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { CorsOrigin = AllowedOrigin });
        var root = await harness.LoginAsync(TokenMode.Cookie, "root", """{"role":"admin"}""");

        var response = await RawClient.SendAsync(harness.Gateway.Address, RawClient.Request(
            "GET",
            path,
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            "Origin: " + origin,
            "Cookie: sAccessToken=" + root.AccessToken));

        if (!forwarded)
        {
            Assert.Equal(440, response.Status);
            Assert.Equal(TryRefresh, response.Body);
            Wire.AssertNotForwarded(harness, path);
            return;
        }

        // A public route still gets the handshake, but a foreign page gets no identity with it.
        var seen = Assert.Single(harness.UpstreamRequests(path));
        Assert.Equal(origin == AllowedOrigin ? "root" : null, seen.Header("X-User-Id"));
    }

    [Fact]
    public async Task FrameworkAuthenticationAndAuthorizationMiddlewares_AreNotAdded()
    {
        // WebApplication adds UseAuthentication and UseAuthorization at the very start of the pipeline (before the
        // request guard and routing) unless the application says it added them; the gateway says so and runs
        // RouteAccessMiddleware instead. Had they been added, every session request would be authenticated a
        // second time through the authentication service (which runs claims transformations, counted here), and
        // authorization without an endpoint would refuse public routes.
        using var upstream = Upstream.Start();
        var transformations = new CountingClaimsTransformation();
        await using var gateway = await TestGateway.StartAsync(
            $$"""
            ReverseProxy:
              Routes:
                api:
                  ClusterId: app
                  AuthorizationPolicy: default
                  Match:
                    Path: /api/{**rest}
                public:
                  ClusterId: app
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /public/{**rest}
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: {{upstream.Url()}}
            """,
            builder => builder.Services.AddSingleton<IClaimsTransformation>(transformations));
        var engine = gateway.Services.GetRequiredService<SessionEngine>();
        var bob = (await engine.CreateAsync("bob", null, withAntiCsrfToken: false, CancellationToken.None)).Value!;

        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/public/page"));
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/page"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bob.AccessToken);
            using var response = await gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, transformations.Count);

        // Sign-out asks the authentication service itself: counted once, so the counter does see that path.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/signout"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bob.AccessToken);
            using var response = await gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, transformations.Count);
    }

    [Fact]
    public async Task PolicyProviderThatThrows_FailsClosedWithoutDetails()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(
            Upstream.CatchAllYaml(upstream.Url()).Replace("AuthorizationPolicy: anonymous", "AuthorizationPolicy: default", StringComparison.Ordinal),
            builder => builder.Services.Replace(ServiceDescriptor.Singleton<IAuthorizationPolicyProvider, ThrowingPolicyProvider>()));

        using var response = await gateway.Client.GetAsync("/anything");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Empty(upstream.LogEntries);
    }

    private sealed class CountingClaimsTransformation : IClaimsTransformation
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(principal);
        }
    }

    private sealed class ThrowingPolicyProvider(IOptions<AuthorizationOptions> options) : IAuthorizationPolicyProvider
    {
        private readonly DefaultAuthorizationPolicyProvider _named = new(options);

        public Task<AuthorizationPolicy> GetDefaultPolicyAsync() => throw new InvalidOperationException("policy store unavailable");

        public Task<AuthorizationPolicy?> GetFallbackPolicyAsync() => throw new InvalidOperationException("policy store unavailable");

        public Task<AuthorizationPolicy?> GetPolicyAsync(string policyName) => _named.GetPolicyAsync(policyName);
    }
}
