using System.Net;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>Route policy <c>admin</c> (<c>RequireClaims: { role: admin }</c>) on <c>/admin/*</c>.</summary>
public sealed class ClaimsPolicyTests : SessionHarnessTest
{
    [Theory]
    [InlineData(TokenMode.Cookie, """{"role":"user"}""", "user")]
    [InlineData(TokenMode.Header, """{"role":"user"}""", "user")]
    [InlineData(TokenMode.Cookie, null, null)]
    [InlineData(TokenMode.Header, null, null)]
    public async Task AdminRoute_WithoutTheClaim_Is403InvalidClaimAndNotForwarded(TokenMode mode, string? claims, string? actual)
    {
        var bob = await Harness.LoginAsync(mode, "bob", claims);

        using var response = await bob.GetAsync("/admin/panel");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid claim", body.RootElement.GetProperty("message").GetString());
        var error = Assert.Single(body.RootElement.GetProperty("claimValidationErrors").EnumerateArray());
        Assert.Equal("role", error.GetProperty("id").GetString());
        var reason = error.GetProperty("reason");
        Assert.Equal("admin", Assert.Single(reason.GetProperty("expectedToBeOneOf").EnumerateArray()).GetString());
        Assert.Equal(actual, reason.GetProperty("actualValue").GetString());
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, "/admin/panel");
    }

    [Theory]
    [InlineData(TokenMode.Cookie, """{"role":"admin"}""")]
    [InlineData(TokenMode.Header, """{"role":"admin"}""")]
    [InlineData(TokenMode.Cookie, """{"role":["ops","admin"]}""")]
    public async Task AdminRoute_WithTheClaim_IsForwardedWithIdentity(TokenMode mode, string claims)
    {
        var root = await Harness.LoginAsync(mode, "root", claims);

        using var response = await root.GetAsync("/admin/panel");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("root", Assert.Single(Harness.UpstreamRequests("/admin/panel")).Header("X-User-Id"));
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task AdminRoute_WithExpiredToken_IsTryRefreshNot403(TokenMode mode)
    {
        var root = await Harness.LoginAsync(mode, "root", """{"role":"admin"}""");
        Harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));

        using var response = await root.GetAsync("/admin/panel");

        await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
    }
}
