using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// <c>Session:IdleTimeout</c> and <c>Session:AbsoluteLifetime</c> over HTTP (OWASP ASVS V3.3), on the gateway's
/// fake clock: the refresh after the end is "unauthorised" with the tokens cleared, and no refresh-token cookie
/// outlives the absolute end. The harness's refresh token lives 1 h and its access token 1 min.
/// </summary>
public sealed class SessionLifetimeTests
{
    private const string Unauthorised = """{"message":"unauthorised"}""";

    private static void AssertRefreshCookieExpires(HttpResponseMessage response, DateTimeOffset expected)
    {
        var actual = Wire.SetCookies(response)["sRefreshToken"].Expires!.Value;
        Assert.InRange(actual, expected.AddSeconds(-2), expected.AddSeconds(1));
    }

    [Fact]
    public async Task IdleTimeout_RefreshesWithinItKeepTheSession_ThenARefreshAfterItIsUnauthorisedAndClearsTheTokens()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { ExtraSessionYaml = "  IdleTimeout: 30m" });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");

        for (var i = 0; i < 3; i++)
        {
            harness.Clock.Advance(TimeSpan.FromMinutes(29));
            using var refreshed = await alice.RefreshAsync();
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
            AssertRefreshCookieExpires(refreshed, harness.Clock.GetUtcNow() + TimeSpan.FromMinutes(30));
        }

        harness.Clock.Advance(TimeSpan.FromMinutes(30));
        using var afterIdle = await alice.RefreshAsync();

        await Wire.AssertJsonAsync(afterIdle, 440, Unauthorised);
        Wire.AssertSessionCleared(afterIdle, TokenMode.Cookie);
        using var again = await alice.RefreshAsync();
        Assert.Equal((HttpStatusCode)440, again.StatusCode);
    }

    [Fact]
    public async Task AbsoluteLifetime_CookiesNeverOutliveIt_AndTheRefreshAtItsEndIsUnauthorisedWhateverTheActivity()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { ExtraSessionYaml = "  AbsoluteLifetime: 90m" });
        var signedIn = harness.Clock.GetUtcNow();
        var end = signedIn + TimeSpan.FromMinutes(90);
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");

        // Active all along: a refresh every 10 minutes. The sliding expiry (now + 1 h) is cut at the absolute end.
        while (harness.Clock.GetUtcNow() + TimeSpan.FromMinutes(10) < end)
        {
            harness.Clock.Advance(TimeSpan.FromMinutes(10));
            using var refreshed = await alice.RefreshAsync();
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
            var sliding = harness.Clock.GetUtcNow() + SessionHarness.RefreshTokenLifetime;
            AssertRefreshCookieExpires(refreshed, sliding < end ? sliding : end);
        }

        harness.Clock.Advance(end - harness.Clock.GetUtcNow());
        using var atTheEnd = await alice.RefreshAsync();

        await Wire.AssertJsonAsync(atTheEnd, 440, Unauthorised);
        Wire.AssertSessionCleared(atTheEnd, TokenMode.Cookie);
    }
}
