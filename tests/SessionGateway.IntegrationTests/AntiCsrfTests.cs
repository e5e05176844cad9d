using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>Anti-CSRF modes <c>custom-header</c> (a <c>rid</c> header) and <c>token</c> (an <c>anti-csrf</c> header).</summary>
public sealed class AntiCsrfTests
{
    private const string TryRefresh = """{"message":"try refresh token"}""";

    [Theory]
    [InlineData("POST", null, 440)]
    [InlineData("DELETE", null, 440)]
    [InlineData("POST", "anything", 200)]
    [InlineData("GET", null, 200)]
    [InlineData("HEAD", null, 200)]
    public async Task CustomHeader_CookieRequest_NeedsRidUnlessSafeMethod(string method, string? rid, int expected)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "custom-header" });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        using var request = alice.NewRequest(new HttpMethod(method), "/api/change");
        if (rid is not null)
        {
            request.Headers.Add("rid", rid);
        }

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 440)
        {
            await Wire.AssertJsonAsync(response, 440, TryRefresh);
            Wire.AssertSessionUntouched(response);
            Wire.AssertNotForwarded(harness, "/api/change");
        }
    }

    [Fact]
    public async Task CustomHeader_HeaderModeRequest_IsExempt()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "custom-header" });
        var alice = await harness.LoginAsync(TokenMode.Header, "alice");

        using var response = await alice.SendAsync(HttpMethod.Post, "/api/change");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task CustomHeader_CookieRefreshWithoutRid_IsRefusedWithoutLoggingOut()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "custom-header" });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        using var forged = new HttpRequestMessage(HttpMethod.Post, SessionHarness.RefreshPath);
        forged.Headers.Add("Cookie", "sRefreshToken=" + alice.RefreshToken);

        using var response = await harness.Http.SendAsync(forged);

        await Wire.AssertJsonAsync(response, 440, """{"message":"unauthorised"}""");
        Assert.False(response.Headers.Contains("Set-Cookie"), "a cross-site request must not clear the cookies");
        using var real = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
    }

    [Theory]
    [InlineData(null, 440)]
    [InlineData("wrong", 440)]
    [InlineData("RIGHT", 200)]
    public async Task Token_CookieRequest_MustEchoTheAntiCsrfToken(string? sent, int expected)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "token" });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        Assert.NotNull(alice.AntiCsrfToken);
        Assert.Equal(alice.AntiCsrfToken, alice.FrontToken!.Up.GetProperty("antiCsrfToken").GetString());
        using var request = alice.NewRequest(HttpMethod.Put, "/api/change");
        if (sent is not null)
        {
            request.Headers.Add("anti-csrf", sent == "RIGHT" ? alice.AntiCsrfToken : sent);
        }

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 440)
        {
            await Wire.AssertJsonAsync(response, 440, TryRefresh);
            Wire.AssertNotForwarded(harness, "/api/change");
        }
    }

    [Fact]
    public async Task Token_Refresh_ReturnsTheSessionsAntiCsrfTokenAgain()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "token" });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        var token = alice.AntiCsrfToken;

        using var refreshed = await alice.RefreshAsync();

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(token, Wire.Header(refreshed, "anti-csrf"));
        Assert.Contains("anti-csrf", Wire.Header(refreshed, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_HeaderModeRequest_IsExempt()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = "token" });
        var alice = await harness.LoginAsync(TokenMode.Header, "alice");

        using var response = await alice.SendAsync(HttpMethod.Post, "/api/change");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
