using System.Net;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>Sessions created from an upstream's <c>X-Session-Create</c> on a <c>SessionLogin</c> route.</summary>
public sealed class LoginTests : SessionHarnessTest
{
    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Login_UpstreamSaysCreate_IssuesTokensAndFrontTokenAndHidesTheHeaders(TokenMode mode)
    {
        var path = Harness.MapLogin("alice", """{"role":"admin","plan":"pro"}""");
        var client = Harness.NewClient(mode);

        using var response = await client.LoginAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("welcome", await response.Content.ReadAsStringAsync());
        var front = Wire.AssertSessionIssued(response, mode, "alice");
        Assert.Equal("admin", front.Up.GetProperty("role").GetString());
        Assert.Equal("pro", front.Up.GetProperty("plan").GetString());
        Assert.Equal(
            (Harness.Clock.GetUtcNow() + SessionHarness.AccessTokenLifetime).ToUnixTimeSeconds() * 1000,
            front.Ate);
        Assert.Null(Wire.Header(response, "X-Session-Create"));
        Assert.Null(Wire.Header(response, "X-Session-Claims"));
    }

    [Fact]
    public async Task Login_InCookieMode_CookiesExpireWithTheRefreshToken()
    {
        var client = Harness.NewClient(TokenMode.Cookie);

        using var response = await client.LoginAsync(Harness.MapLogin("alice"));

        var cookies = Wire.SetCookies(response);
        var expected = Harness.Clock.GetUtcNow() + SessionHarness.RefreshTokenLifetime;
        var actual = cookies["sAccessToken"].Expires!.Value;
        Assert.InRange(actual, expected.AddSeconds(-2), expected.AddSeconds(1));

        // ASVS 3.2.3 / 3.4.2-3.4.5: script cannot read the tokens, cross-site requests do not carry them, and the
        // refresh token goes only to the refresh endpoint.
        var access = cookies["sAccessToken"];
        var refresh = cookies["sRefreshToken"];
        Assert.True(access.HttpOnly);
        Assert.True(refresh.HttpOnly);
        Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, access.SameSite);
        Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, refresh.SameSite);
        Assert.Equal("/", access.Path.ToString());
        Assert.Equal(SessionHarness.RefreshPath, refresh.Path.ToString());
        Assert.True(refresh.Expires.HasValue);
    }

    [Fact]
    public async Task Login_WithReservedClaimNames_CannotOverwriteSessionClaims()
    {
        var path = Harness.MapLogin("alice", """{"sub":"root","sessionHandle":"x","exp":99999999999,"role":"user"}""");
        var client = Harness.NewClient(TokenMode.Header);

        using var response = await client.LoginAsync(path);

        var front = Wire.AssertSessionIssued(response, TokenMode.Header, "alice");
        Assert.Equal("alice", front.Up.GetProperty("sub").GetString());
        Assert.NotEqual("x", front.Up.GetProperty("sessionHandle").GetString());
        Assert.NotEqual(99999999999, front.Up.GetProperty("exp").GetInt64());
        Assert.Equal("user", front.Up.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Login_ClaimsHeaderNotAJsonObject_Is502WithoutSession()
    {
        var path = Harness.MapLogin("alice", "[1,2]");
        var client = Harness.NewClient(TokenMode.Cookie);

        using var response = await client.LoginAsync(path);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Wire.AssertSessionUntouched(response);
        Assert.Null(Wire.Header(response, "X-Session-Create"));
    }

    [Fact]
    public async Task Login_ClaimsTooLargeForACookie_Is502WithoutSession()
    {
        var path = Harness.MapLogin("alice", "{\"blob\":\"" + new string('x', 4000) + "\"}");
        var client = Harness.NewClient(TokenMode.Header);

        using var response = await client.LoginAsync(path);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Wire.AssertSessionUntouched(response);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(500)]
    public async Task Login_UpstreamErrorWithCreateHeader_CreatesNoSession(int status)
    {
        Harness.MapResponse("/login/broken", status, "nope", ("X-Session-Create", "mallory"));
        var client = Harness.NewClient(TokenMode.Cookie);

        using var response = await client.LoginAsync("/login/broken");

        Assert.Equal(status, (int)response.StatusCode);
        Wire.AssertSessionUntouched(response);
        Assert.Null(Wire.Header(response, "X-Session-Create"));
    }

    [Fact]
    public async Task Login_UpstreamSaysCacheable_TokensAreSentNoStore()
    {
        Harness.MapResponse("/login/cacheable", 200, "welcome", ("X-Session-Create", "alice"), ("Cache-Control", "public, max-age=3600"));
        var client = Harness.NewClient(TokenMode.Cookie);

        using var response = await client.LoginAsync("/login/cacheable");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", Wire.Header(response, "Cache-Control"));
        Assert.NotNull(client.AccessToken);
    }

    [Theory]
    [InlineData("/public/create")]
    [InlineData("/api/create")]
    public async Task CreateHeader_OnRouteWithoutSessionLogin_IsRemovedAndIgnored(string path)
    {
        Harness.MapResponse(path, 200, "hi", ("X-Session-Create", "mallory"), ("X-Session-Claims", """{"role":"admin"}"""));
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        using var response = await alice.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Wire.AssertSessionUntouched(response);
        Assert.Null(Wire.Header(response, "X-Session-Create"));
        Assert.Null(Wire.Header(response, "X-Session-Claims"));
    }

    [Fact]
    public async Task Login_WithoutCreateHeader_IsPlainForward()
    {
        Harness.MapResponse("/login/failed", 401, "bad password");
        var client = Harness.NewClient(TokenMode.Cookie);

        using var response = await client.LoginAsync("/login/failed");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("bad password", await response.Content.ReadAsStringAsync());
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task Jwks_ListsTheKeyThatSignedTheAccessToken()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");
        var kid = HeaderKid(alice.AccessToken!);

        using var response = await Harness.Http.GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var jwks = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var kids = jwks.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Contains(kid, kids);
        Assert.All(jwks.RootElement.GetProperty("keys").EnumerateArray(), k => Assert.False(k.TryGetProperty("d", out _), "private key material in JWKS"));
        Wire.AssertNotForwarded(Harness, "/.well-known/jwks.json");
    }

    private static string HeaderKid(string jwt)
    {
        using var header = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[0]));
        return header.RootElement.GetProperty("kid").GetString()!;
    }
}
