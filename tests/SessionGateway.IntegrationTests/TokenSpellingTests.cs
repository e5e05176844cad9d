using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// No access or refresh token of the gateway's reaches an upstream, whatever spelling a client sends it in:
/// cookie names in another case, quoted, percent-encoded (a NUL included), after a comma; bearer values after a
/// tab, comma-joined, in another scheme, quoted, in Basic credentials, in several headers. Raw socket in, and an
/// upstream that records the header bytes it received.
/// </summary>
public sealed class TokenSpellingTests : RawUpstreamHarnessTest
{
    private string _access = null!;
    private string _refresh = null!;

    private protected override async Task StartedAsync()
    {
        var session = await Harness.CreateSessionAsync("alice");
        _access = session.AccessToken;
        _refresh = session.RefreshToken;
    }

    [Theory]
    [InlineData("Cookie: SACCESSTOKEN={AT}")]
    [InlineData("Cookie: saccesstoken={AT}; theme=dark")]
    [InlineData("Cookie: \"sAccessToken\"={AT}")]
    [InlineData("Cookie: \"sRefreshToken\"={RT}")]
    [InlineData("Cookie: SREFRESHTOKEN={RT}")]
    [InlineData("Cookie: sAccessToken%00={AT}")]
    [InlineData("Cookie: sAccessToken%00junk={AT}")]
    [InlineData("Cookie: sAcc%00essToken={AT}")]
    [InlineData("Cookie: sRefreshToken%2500={RT}")]
    [InlineData("Cookie: s%41ccess%54oken={AT}")]
    [InlineData("Cookie: %C5%BFAccessToken={AT}")]
    [InlineData("Cookie: sAccessToken ={AT}")]
    [InlineData("Cookie: sAccessToken\t=\t{AT}")]
    [InlineData("Cookie: sAccess+Token={AT}")]
    [InlineData("Cookie: theme=dark, sAccessToken={AT}")]
    [InlineData("Cookie: theme=dark,sRefreshToken={RT}")]
    [InlineData("Cookie: ST-ACCESS-TOKEN={AT}")]
    [InlineData("Cookie: st_refresh_token={RT}")]
    [InlineData("Cookie: st.access.token={AT}")]
    [InlineData("Cookie: sAccessToken[]={AT}")]
    [InlineData("Cookie: sAccessToken%5B%5D={AT}")]
    [InlineData("Cookie: sRefreshToken[0]={RT}")]
    [InlineData("Cookie: theme=dark; sAccessToken[x]={AT}")]
    [InlineData("Authorization: Bearer\t{AT}")]
    [InlineData("Authorization: bearer \t {AT}")]
    [InlineData("Authorization: Bearer the-apps-token, Bearer {AT}")]
    [InlineData("Authorization: Bearer {AT}, Bearer the-apps-token")]
    [InlineData("Authorization: Bearer {AT},Bearer {AT}")]
    [InlineData("Authorization: Bearer \"{AT}\"")]
    [InlineData("Authorization: Token {AT}")]
    [InlineData("Authorization: Token token=\"{AT}\"")]
    [InlineData("Authorization: {AT}")]
    [InlineData("Authorization: Bearer {RT}")]
    [InlineData("Authorization: Bearer\t{RT}")]
    [InlineData("Authorization: Basic {BASIC_AT}")]
    [InlineData("Authorization: Basic {BASIC_RT}")]
    [InlineData("Authorization: Bearer the-apps-token\r\nAuthorization: Bearer\t{AT}")]
    [InlineData("Authorization: Bearer {AT}.")]
    [InlineData("Authorization: Bearer x.{AT}")]
    [InlineData("Authorization: Bearer {AT}.x")]
    [InlineData("Authorization: Bearer x{AT}")]
    [InlineData("Authorization: Token {AT}.")]
    [InlineData("Authorization: Bearer a.b, Bearer {AT}.")]
    [InlineData("Authorization: Bearer {RT}.")]
    [InlineData("Authorization: Bearer x{RT}")]
    [InlineData("Authorization: Bearer {RT}x")]
    [InlineData("Authorization: Bearer x.{RT}")]
    [InlineData("Authorization: Token {RT}.")]
    [InlineData("st-access-token: {AT}")]
    [InlineData("ST_REFRESH_TOKEN: {RT}")]
    public async Task TokenInAnOddSpelling_OnAnAnonymousRoute_NeverReachesTheUpstream(string header)
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/public/page", Fill(header));

        Assert.Equal(200, response.Status);
        AssertNoToken(Upstream.Single());
    }

    [Theory]
    [InlineData("Cookie: SACCESSTOKEN={AT}")]
    [InlineData("Authorization: Bearer the-apps-token, Bearer {AT}")]
    [InlineData("Authorization: Token {AT}")]
    [InlineData("Authorization: Bearer {RT}")]
    [InlineData("Authorization: Bearer {RT}.")]
    [InlineData("Authorization: Bearer x{RT}")]
    [InlineData("Authorization: Bearer {AT}.")]
    [InlineData("Cookie: sAccessToken[]={AT}")]
    public async Task TokenInAnOddSpelling_BesideAValidCookie_OnAProtectedRoute_NeverReachesTheUpstream(string header)
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/api/page", ["Cookie: sAccessToken=" + _access, .. Fill(header)]);

        // Ambiguous Authorization values are refused; otherwise the session is the cookie's. Either way no token passes.
        Assert.True(response.Status is 200 or 440, "status " + response.Status);
        foreach (var seen in Upstream.Requests)
        {
            AssertNoToken(seen);
        }
    }

    [Theory]
    [InlineData("/api/page?sAccessToken={AT}")]
    [InlineData("/api/page?access_token={AT}")]
    [InlineData("/api/page?st-access-token={AT}")]
    public async Task TokenInTheQueryString_IsNotASession(string target)
    {
        // ASVS 3.1.1: session tokens are never read from the URL, where logs and Referer headers would keep them.
        var response = await RawClient.GetAsync(Harness.Gateway.Address, target.Replace("{AT}", _access, StringComparison.Ordinal));

        Assert.Equal(401, response.Status);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task BearerAfterATab_OnAProtectedRoute_IsTheSessionAndIsNotForwarded()
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/api/page", $"Authorization: Bearer\t{_access}");

        Assert.Equal(200, response.Status);
        var seen = Upstream.Single();
        Assert.Equal("alice", seen.Header("X-User-Id"));
        AssertNoToken(seen);
    }

    [Theory]
    [InlineData("/api/page", 440)]
    [InlineData("/public/page", 200)]
    public async Task OurBearerPaddedPastTheVerifiersLimit_IsNotASession_AndIsNotForwarded(string path, int status)
    {
        // Past 16 KB the verifier refuses without looking; the token is still ours by shape, so it is refused on a
        // protected route ("try refresh token", not 401) and kept from the upstream on a public one.
        var padded = _access + new string('A', 17 * 1024);

        var response = await RawClient.GetAsync(Harness.Gateway.Address, path, "Authorization: Bearer \t" + padded + "\t");

        Assert.Equal(status, response.Status);
        foreach (var seen in Upstream.Requests)
        {
            Assert.Null(seen.Header("Authorization"));
            Assert.Null(seen.Header("X-User-Id"));
        }
    }

    [Fact]
    public async Task OtherCookiesAndTheAppsOwnBearer_StillReachTheUpstream()
    {
        var response = await RawClient.GetAsync(
            Harness.Gateway.Address,
            "/public/page",
            $"Cookie: theme=dark; SACCESSTOKEN={_access}; _ga=GA1.2.3; lang=en",
            "Authorization: Bearer the-apps-own.token.value");

        Assert.Equal(200, response.Status);
        var seen = Upstream.Single();
        Assert.Equal("theme=dark; _ga=GA1.2.3; lang=en", seen.Header("Cookie"));
        Assert.Equal("Bearer the-apps-own.token.value", seen.Header("Authorization"));
    }

    private string[] Fill(string header) => header
        .Replace("{BASIC_AT}", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_access + ":")), StringComparison.Ordinal)
        .Replace("{BASIC_RT}", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("x:" + _refresh)), StringComparison.Ordinal)
        .Replace("{AT}", _access, StringComparison.Ordinal)
        .Replace("{RT}", _refresh, StringComparison.Ordinal)
        .Split("\r\n");

    private void AssertNoToken(RawRequest seen)
    {
        var head = seen.HeadText;

        // Not the tokens, and not their signature or MAC alone either (the parts that make them usable).
        Assert.DoesNotContain(_access, head, StringComparison.Ordinal);
        Assert.DoesNotContain(_refresh, head, StringComparison.Ordinal);
        Assert.DoesNotContain(_access[(_access.LastIndexOf('.') + 1)..], head, StringComparison.Ordinal);
        Assert.DoesNotContain(_refresh[(_refresh.LastIndexOf('.') + 1)..], head, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_access + ":")), head, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("x:" + _refresh)), head, StringComparison.Ordinal);
    }
}
