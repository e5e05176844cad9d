using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary><c>POST /api/signout</c>: revokes the session and clears the client's tokens.</summary>
public sealed class SignOutTests : SessionHarnessTest
{
    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task SignOut_WithSession_RevokesItAndClearsTokens(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        var other = await Harness.LoginAsync(mode, "alice");

        using var response = await alice.SignOutAsync();

        await Wire.AssertJsonAsync(response, 200, """{"status":"OK"}""");
        Wire.AssertSessionCleared(response, mode);
        Wire.AssertNotForwarded(Harness, SessionHarness.SignOutPath);

        using var access = await alice.GetAsync("/api/after");
        Assert.NotEqual(HttpStatusCode.OK, access.StatusCode);
        Wire.AssertNotForwarded(Harness, "/api/after");
        using var refresh = await alice.RefreshAsync();
        await Wire.AssertJsonAsync(refresh, 440, """{"message":"unauthorised"}""");
        Wire.AssertSessionCleared(refresh, mode);

        // Only that session: the same user's other session lives on.
        using var otherAccess = await other.GetAsync("/api/other");
        Assert.Equal(HttpStatusCode.OK, otherAccess.StatusCode);
    }

    [Fact]
    public async Task SignOut_WithRevokedAccessTokenInCookieMode_IsTryRefresh()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using (var signedOut = await alice.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        }

        using var access = await alice.GetAsync("/api/after");

        await Wire.AssertJsonAsync(access, 440, """{"message":"try refresh token"}""");
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task SignOut_WithoutSession_Is200AndClears(TokenMode mode)
    {
        using var response = await Harness.NewClient(mode).SignOutAsync();

        await Wire.AssertJsonAsync(response, 200, """{"status":"OK"}""");
        Wire.AssertSessionCleared(response, mode);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task SignOut_WithExpiredAccessToken_IsTryRefreshAndKeepsTokens(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        Harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));

        using var response = await alice.SignOutAsync();

        await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task SignOut_WithGet_Is405AndNotForwarded()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        using var response = await alice.GetAsync(SessionHarness.SignOutPath);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, SessionHarness.SignOutPath);
        using var still = await alice.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }
}
