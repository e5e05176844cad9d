using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// The signed identity assertion on forwarded requests (proxy mode), as an upstream receives it: verified with
/// Microsoft.IdentityModel.JsonWebTokens against the JWKS the gateway serves, the way docs/assertion.md shows. Access
/// tokens live 5 minutes here, so an assertion (60 s) is not capped by its token unless a test moves the clock there.
/// </summary>
public sealed class AssertionTests : IAsyncLifetime
{
    private const string Header = "X-Session-Assertion";
    private const string Issuer = "session-gateway";

    // /orders opts in (audience: the cluster id, "app"); /billing opts in with its own audience; /api does not.
    internal const string Routes = """
            orders:
              ClusterId: app
              Metadata:
                SessionAssertion: "true"
              Match:
                Path: /orders/{**rest}
            billing:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Metadata:
                SessionAssertion: "true"
                SessionAssertionAudience: billing-api
              Match:
                Path: /billing/{**rest}
        """;

    private SessionHarness _harness = null!;

    private SessionHarness Harness => _harness;

    public async Task InitializeAsync() => _harness = await StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static Task<SessionHarness> StartAsync(params string[] extraArgs) => SessionHarness.StartAsync(new SessionHarnessOptions
    {
        ExtraRoutesYaml = Routes,
        ExtraArgs = ["--Session:AccessTokenLifetime", "5m", .. extraArgs],
    });

    /// <summary>
    /// The check of docs/assertion.md: signature by a key of the gateway's JWKS, <c>typ</c>, issuer, audience, expiry
    /// (against the real clock, so only where the gateway's fake clock was not moved).
    /// </summary>
    internal static async Task<TokenValidationResult> VerifyAsDocumentedAsync(string? token, string jwks, string audience, bool validateLifetime = true) =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidIssuer = Issuer,
            ValidAudience = audience,
            ValidTypes = ["session-assertion+jwt"],
            ValidateLifetime = validateLifetime,
            ClockSkew = TimeSpan.FromSeconds(5),
        });

    private Task<string> JwksAsync() => Harness.Http.GetStringAsync("/.well-known/jwks.json");

    private string? AssertionReceived(string path) => Harness.UpstreamRequests(path)[^1].Header(Header);

    /// <summary>Every spelling of the assertion header the upstream received, with each value.</summary>
    private static List<string> AssertionValues(WireMock.IRequestMessage request) =>
        [.. request.Headers!
            .Where(h => h.Key.Replace('_', '-').Equals(Header, StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value)];

    [Fact]
    public async Task OptedInRoute_UpstreamGetsAnAssertion_ThatVerifiesAgainstTheGatewaysJwks()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice", """{"role":"editor","tenant":"t1"}""");

        using var response = await alice.GetAsync("/orders/42");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Harness.UpstreamRequests("/orders/42")[^1];
        var assertion = Assert.Single(AssertionValues(upstream));
        var result = await VerifyAsDocumentedAsync(assertion, await JwksAsync(), audience: "app");
        Assert.True(result.IsValid, result.Exception?.ToString());
        var jwt = Assert.IsType<JsonWebToken>(result.SecurityToken);
        Assert.Equal("session-assertion+jwt", jwt.Typ);
        Assert.Equal(Issuer, jwt.Issuer);
        Assert.Equal(["app"], jwt.Audiences);
        Assert.Equal("alice", jwt.Subject);
        Assert.Equal(upstream.Header("X-Session-Handle"), jwt.GetClaim("sid").Value);
        // The claims of Session:Headers:Claims (role) by default; tenant is not configured.
        Assert.Equal("editor", jwt.GetClaim("role").Value);
        Assert.False(jwt.TryGetClaim("tenant", out _));
        var payload = Wire.JwtPayload(assertion);
        var accessToken = Wire.JwtPayload(alice.AccessToken!);
        Assert.Equal(Harness.Clock.GetUtcNow().ToUnixTimeSeconds(), payload.GetProperty("iat").GetInt64());
        Assert.Equal(60, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        Assert.True(payload.GetProperty("exp").GetInt64() <= accessToken.GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task RouteWithAnAudienceOfItsOwn_GetsThatAudience_WhichTheClusterAudienceDoesNotAccept()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");

        using var response = await alice.GetAsync("/billing/invoices");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var assertion = AssertionReceived("/billing/invoices");
        var jwks = await JwksAsync();
        Assert.True((await VerifyAsDocumentedAsync(assertion, jwks, audience: "billing-api")).IsValid);
        var wrongAudience = await VerifyAsDocumentedAsync(assertion, jwks, audience: "app");
        Assert.False(wrongAudience.IsValid);
        Assert.IsType<SecurityTokenInvalidAudienceException>(wrongAudience.Exception);
    }

    [Fact]
    public async Task RouteWithoutOptIn_AndRequestWithoutSession_GetNoAssertion()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        using var api = await alice.GetAsync("/api/items");
        using var anonymous = await Harness.Http.GetAsync("/billing/public");

        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("alice", Harness.UpstreamRequests("/api/items")[^1].Header("X-User-Id"));
        Assert.Empty(AssertionValues(Harness.UpstreamRequests("/api/items")[^1]));
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Empty(AssertionValues(Harness.UpstreamRequests("/billing/public")[^1]));
    }

    [Fact]
    public async Task AccessTokenWithTwentySecondsLeft_GetsAnAssertionThatExpiresWithIt()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        var accessTokenExpires = Wire.JwtPayload(alice.AccessToken!).GetProperty("exp").GetInt64();
        Harness.Clock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(accessTokenExpires - 20));

        using var response = await alice.GetAsync("/orders/late");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var assertion = AssertionReceived("/orders/late");
        var payload = Wire.JwtPayload(assertion!);
        Assert.Equal(accessTokenExpires, payload.GetProperty("exp").GetInt64());
        Assert.Equal(20, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        Assert.True((await VerifyAsDocumentedAsync(assertion, await JwksAsync(), audience: "app", validateLifetime: false)).IsValid);
    }

    [Fact]
    public async Task SameTokenAndAudience_GetTheSameAssertion_UntilTheRenewalPoint_ThenANewOne()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        using (await alice.GetAsync("/orders/1"))
        {
        }

        var first = AssertionReceived("/orders/1");
        Harness.Clock.Advance(TimeSpan.FromSeconds(49));
        using (await alice.GetAsync("/orders/1"))
        {
        }

        var second = AssertionReceived("/orders/1");
        Harness.Clock.Advance(TimeSpan.FromSeconds(2));
        using (await alice.GetAsync("/orders/1"))
        {
        }

        var third = AssertionReceived("/orders/1");

        Assert.NotNull(first);
        Assert.Equal(first, second);
        Assert.NotEqual(first, third);
        Assert.Equal(Harness.Clock.GetUtcNow().ToUnixTimeSeconds(), Wire.JwtPayload(third!).GetProperty("iat").GetInt64());
        Assert.True((await VerifyAsDocumentedAsync(third, await JwksAsync(), audience: "app", validateLifetime: false)).IsValid);
    }

    [Theory]
    [InlineData("X-Session-Assertion")]
    [InlineData("x_session_assertion")]
    [InlineData("X-SESSION-ASSERTION")]
    [InlineData("X_Session-Assertion")]
    public async Task ClientSentAssertion_InAnySpelling_NeverReachesTheUpstream(string spelling)
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        var forged = Wire.WithBrokenSignature(alice.AccessToken!);
        var cookie = "Cookie: sAccessToken=" + alice.AccessToken;

        var optedIn = await RawClient.GetAsync(Harness.Gateway.Address, "/orders/spoof", cookie, $"{spelling}: {forged}");
        var notOptedIn = await RawClient.GetAsync(Harness.Gateway.Address, "/api/spoof", cookie, $"{spelling}: {forged}");
        var noSession = await RawClient.GetAsync(Harness.Gateway.Address, "/billing/spoof", $"{spelling}: {forged}");

        Assert.Equal([200, 200, 200], new[] { optedIn.Status, notOptedIn.Status, noSession.Status });
        var received = Assert.Single(AssertionValues(Harness.UpstreamRequests("/orders/spoof")[^1]));
        Assert.NotEqual(forged, received);
        Assert.True((await VerifyAsDocumentedAsync(received, await JwksAsync(), audience: "app")).IsValid);
        Assert.Empty(AssertionValues(Harness.UpstreamRequests("/api/spoof")[^1]));
        Assert.Empty(AssertionValues(Harness.UpstreamRequests("/billing/spoof")[^1]));
    }

    [Fact]
    public async Task ClientSentAssertion_WithTheReservedPrefixChanged_IsStillStripped()
    {
        // X-Session-Assertion is no longer under the reserved prefix: it is owned by name.
        await using var harness = await StartAsync("--Session:Headers:ReservedPrefix", "X-Gateway-");
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");

        var response = await RawClient.GetAsync(harness.Gateway.Address, "/api/spoof", "Cookie: sAccessToken=" + alice.AccessToken, "x_session_assertion: forged", "X-Session-Other: kept");

        Assert.Equal(200, response.Status);
        var upstream = harness.UpstreamRequests("/api/spoof")[^1];
        Assert.Empty(AssertionValues(upstream));
        Assert.Equal("kept", upstream.Header("X-Session-Other"));
    }

    [Fact]
    public async Task AnAccessToken_IsNotAnAssertion_ForTheDocumentedCheck()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        var jwks = await JwksAsync();

        var result = await VerifyAsDocumentedAsync(alice.AccessToken, jwks, audience: "app");
        var typeAlone = await ValidateAsync(alice.AccessToken!, jwks, p => p.ValidateAudience = false);
        var audienceAlone = await ValidateAsync(alice.AccessToken!, jwks, p => p.ValidTypes = null);

        // Signed with the same keys, but either check refuses it.
        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidTypeException>(typeAlone.Exception);
        Assert.IsType<SecurityTokenInvalidAudienceException>(audienceAlone.Exception);

        static Task<TokenValidationResult> ValidateAsync(string token, string jwks, Action<TokenValidationParameters> change)
        {
            var parameters = new TokenValidationParameters
            {
                IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
                ValidIssuer = Issuer,
                ValidAudience = "app",
                ValidTypes = ["session-assertion+jwt"],
            };
            change(parameters);
            return new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);
        }
    }

    [Fact]
    public async Task AnAssertion_IsNotAnAccessToken_ForTheGateway()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using (await alice.GetAsync("/orders/1"))
        {
        }

        var assertion = AssertionReceived("/orders/1")!;
        var asCookie = new SessionClient(Harness.Http, TokenMode.Cookie) { AccessToken = assertion };
        var asBearer = new SessionClient(Harness.Http, TokenMode.Header) { AccessToken = assertion };

        using var cookieResponse = await asCookie.GetAsync("/api/as-cookie");
        using var bearerResponse = await asBearer.GetAsync("/api/as-bearer");

        // As a cookie it is an access token that does not verify ("try refresh token"); as a bearer token it is not
        // one of ours at all, so the request has no session (401).
        await Wire.AssertJsonAsync(cookieResponse, 440, """{"message":"try refresh token"}""");
        await Wire.AssertJsonAsync(bearerResponse, 401, """{"message":"unauthorised"}""");
        Wire.AssertNotForwarded(Harness, "/api/as-cookie");
        Wire.AssertNotForwarded(Harness, "/api/as-bearer");
    }

    [Fact]
    public async Task RouteMetadata_AddedByAReload_AppliesToTheNextRequests()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using (await alice.GetAsync("/api/before"))
        {
        }

        Assert.Empty(AssertionValues(Harness.UpstreamRequests("/api/before")[^1]));
        var yaml = await File.ReadAllTextAsync(Harness.Gateway.ConfigPath);
        const string apiRoute = "      AuthorizationPolicy: default\n";
        Assert.Contains(apiRoute, yaml, StringComparison.Ordinal);
        await File.WriteAllTextAsync(
            Harness.Gateway.ConfigPath,
            yaml.Replace(apiRoute, apiRoute + "      Metadata:\n        SessionAssertion: \"true\"\n        SessionAssertionAudience: items\n", StringComparison.Ordinal));
        Assert.Empty(Harness.Gateway.ConfigFile!.Reload());

        await TestGateway.WaitUntilAsync(
            async () =>
            {
                using var response = await alice.GetAsync("/api/after");
                return AssertionReceived("/api/after") is not null;
            },
            "the api route sends an assertion");
        var result = await VerifyAsDocumentedAsync(AssertionReceived("/api/after"), await JwksAsync(), audience: "items");
        Assert.True(result.IsValid, result.Exception?.ToString());
    }
}
