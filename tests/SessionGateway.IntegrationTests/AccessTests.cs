using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Tokens;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>Requests on protected and anonymous routes: the authentication answers and what reaches the upstream.</summary>
public sealed class AccessTests : SessionHarnessTest
{
    private const string TryRefresh = """{"message":"try refresh token"}""";
    private const string Unauthorised = """{"message":"unauthorised"}""";

    [Theory]
    [InlineData(TokenMode.Cookie, "/api/orders")]
    [InlineData(TokenMode.Header, "/api/orders")]
    [InlineData(TokenMode.Cookie, "/no-policy/orders")]
    [InlineData(TokenMode.Header, "/no-policy/orders")]
    public async Task ProtectedRoute_WithValidSession_UpstreamGetsIdentityAndNoTokens(TokenMode mode, string path)
    {
        var alice = await Harness.LoginAsync(mode, "alice", """{"role":"editor"}""");
        using var request = alice.NewRequest(HttpMethod.Get, path);
        request.Headers.Add("Cookie", "theme=dark");

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upstream ok", await response.Content.ReadAsStringAsync());
        var seen = Assert.Single(Harness.UpstreamRequests(path));
        Assert.Equal("alice", seen.Header("X-User-Id"));
        Assert.Equal(alice.FrontToken!.Up.GetProperty("sessionHandle").GetString(), seen.Header("X-Session-Handle"));
        Assert.Equal("editor", seen.Header("X-User-Role"));
        AssertNoTokens(seen, alice);
        Assert.Equal("theme=dark", seen.Header("Cookie"));
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task ProtectedRoute_WithSessionAndSpoofedIdentity_UpstreamSeesOnlyTheSession(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        using var request = alice.NewRequest(HttpMethod.Post, "/api/spoof");
        request.Headers.Add("rid", "x");
        request.Headers.TryAddWithoutValidation("X-User-Id", "mallory");
        request.Headers.TryAddWithoutValidation("x-session-handle", "stolen");
        request.Headers.TryAddWithoutValidation("X-User-Role", "admin");
        request.Headers.TryAddWithoutValidation("X-Session-Create", "mallory");

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Harness.UpstreamRequests("/api/spoof"));
        Assert.Equal("alice", seen.Header("X-User-Id"));
        Assert.NotEqual("stolen", seen.Header("X-Session-Handle"));
        Assert.Null(seen.Header("X-User-Role"));
        Assert.Null(seen.Header("X-Session-Create"));
    }

    [Fact]
    public async Task ProtectedRoute_WithCookieSessionAndForeignBearer_ForwardsTheForeignBearer()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using var request = alice.NewRequest(HttpMethod.Get, "/api/with-app-token");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "the-apps-own-token");

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Harness.UpstreamRequests("/api/with-app-token"));
        Assert.Equal("Bearer the-apps-own-token", seen.Header("Authorization"));
        Assert.Equal("alice", seen.Header("X-User-Id"));
    }

    [Fact]
    public async Task ProtectedRoute_WithUrlEncodedAccessTokenCookie_IsAccepted()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        var encoded = alice.AccessToken!.Replace(".", "%2E", StringComparison.Ordinal);

        using var response = await alice.SendAsync(HttpMethod.Get, "/api/encoded", encoded);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Assert.Single(Harness.UpstreamRequests("/api/encoded")).Header("X-User-Id"));
    }

    [Theory]
    [InlineData("/api/x")]
    [InlineData("/no-policy/x")]
    [InlineData("/admin/x")]
    public async Task ProtectedRoute_WithoutToken_Is401Unauthorised(string path)
    {
        using var response = await Harness.Http.GetAsync(path);

        await Wire.AssertJsonAsync(response, 401, Unauthorised);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, path);
    }

    [Fact]
    public async Task ProtectedRoute_WithOnlyAForeignBearer_Is401Unauthorised()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/x");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "someone-elses.jwt.token");

        using var response = await Harness.Http.SendAsync(request);

        await Wire.AssertJsonAsync(response, 401, Unauthorised);
        Wire.AssertNotForwarded(Harness, "/api/x");
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task ProtectedRoute_WithExpiredAccessToken_IsTryRefreshAndKeepsTokens(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        Harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));

        using var response = await alice.GetAsync("/api/x");

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, "/api/x");

        // The refresh token is still good: the client refreshes and retries.
        using var refreshed = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        using var retried = await alice.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }

    [Fact]
    public async Task ProtectedRoute_WithBadSignatureCookie_IsTryRefreshAndKeepsTokens()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        using var response = await alice.SendAsync(HttpMethod.Get, "/api/x", Wire.WithBrokenSignature(alice.AccessToken!));

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, "/api/x");
    }

    [Fact]
    public async Task ProtectedRoute_WithUnknownKidCookie_IsTryRefreshAndKeepsTokens()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");

        using var response = await alice.SendAsync(HttpMethod.Get, "/api/x", Wire.WithUnknownKid(alice.AccessToken!));

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task ProtectedRoute_WithBadSignatureBearer_IsTryRefresh()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");

        using var response = await alice.SendAsync(HttpMethod.Get, "/api/x", Wire.WithBrokenSignature(alice.AccessToken!));

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, "/api/x");
    }

    [Fact]
    public async Task ProtectedRoute_WithUnknownKidBearer_IsTryRefresh()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");

        using var response = await alice.SendAsync(HttpMethod.Get, "/api/x", Wire.WithUnknownKid(alice.AccessToken!));

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task ProtectedRoute_WithTwoAccessTokenCookies_IsTryRefresh()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        var bob = await Harness.LoginAsync(TokenMode.Cookie, "bob");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/x");
        request.Headers.Add("Cookie", $"sAccessToken={alice.AccessToken}; sAccessToken={bob.AccessToken}");

        using var response = await Harness.Http.SendAsync(request);

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertNotForwarded(Harness, "/api/x");
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task AnonymousRoute_WithSession_UpstreamGetsIdentityAndNoTokens(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");

        using var response = await alice.GetAsync("/public/page");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Harness.UpstreamRequests("/public/page"));
        Assert.Equal("alice", seen.Header("X-User-Id"));
        AssertNoTokens(seen, alice);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task AnonymousRoute_WithExpiredToken_ForwardsWithoutIdentityOrTokens(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        Harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));
        using var request = alice.NewRequest(HttpMethod.Get, "/public/page");
        request.Headers.TryAddWithoutValidation("X-User-Id", "mallory");

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Harness.UpstreamRequests("/public/page"));
        Assert.Null(seen.Header("X-User-Id"));
        Assert.Null(seen.Header("X-Session-Handle"));
        AssertNoTokens(seen, alice);
    }

    [Fact]
    public async Task AnonymousRoute_WithForeignBearer_ForwardsItUntouched()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/public/page");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "the-apps-own-token");

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Harness.UpstreamRequests("/public/page"));
        Assert.Equal("Bearer the-apps-own-token", seen.Header("Authorization"));
        Assert.Null(seen.Header("X-User-Id"));
    }

    [Fact]
    public async Task AnonymousRoute_WithRevokedBearerAccessToken_UpstreamDoesNotSeeTheToken()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");
        var revoked = alice.AccessToken!;
        using (var signedOut = await alice.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        }

        using var response = await alice.SendAsync(HttpMethod.Get, "/public/page", revoked);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(Harness.UpstreamRequests("/public/page"));
        Assert.Null(seen.Header("X-User-Id"));
        Assert.DoesNotContain(revoked, seen.Header("Authorization") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnonymousRoute_WithOurBearerAndAForeignOne_UpstreamDoesNotSeeOurToken()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");

        // Two Authorization lines, as a client (or an attacker-controlled page script) may send them.
        var status = await SendRawAsync(
            "GET /public/two-bearers HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\n" +
            $"Authorization: Bearer {alice.AccessToken}\r\n" +
            "Authorization: Bearer the-apps-own-token\r\n" +
            "Connection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 ", status, StringComparison.Ordinal);
        var everything = string.Join("\n", Harness.UpstreamRequests("/public/two-bearers").SelectMany(r => r.Headers!.SelectMany(h => h.Value)));
        Assert.DoesNotContain(alice.AccessToken!, everything, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Cookie: sAccessToken=", "==")]
    [InlineData("Cookie: sAccessToken=", " ")]
    [InlineData("Cookie: sAccessToken=", "\t")]
    [InlineData("Authorization: Bearer ", "==")]
    [InlineData("Authorization: Bearer ", " ")]
    public async Task ProtectedRoute_WithIssuedTokenRespelled_IsTryRefreshAndNotForwarded(string header, string respelling)
    {
        var alice = await Harness.LoginAsync(header.StartsWith("Cookie", StringComparison.Ordinal) ? TokenMode.Cookie : TokenMode.Header, "alice");
        var token = alice.AccessToken!;
        // Padding at the end, whitespace inside the signature: the same bytes to a lenient base64url decoder.
        var respelled = respelling == "==" ? token + respelling : token.Insert(token.Length - 20, respelling);

        var status = await SendRawAsync(
            "GET /api/respelled HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\n" +
            header + respelled + "\r\n" +
            "Connection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 440 ", status, StringComparison.Ordinal);
        Wire.AssertNotForwarded(Harness, "/api/respelled");
        using var exact = await alice.GetAsync("/api/respelled");
        Assert.Equal(HttpStatusCode.OK, exact.StatusCode);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task AdminRoute_WithTokenMintedWithOurKeyForAYear_IsTryRefreshAndNotForwarded(TokenMode mode)
    {
        // What anyone who read a signing key from the database could mint: an admin token that never expires in practice.
        var services = Harness.Gateway.Services;
        var options = services.GetRequiredService<SessionEngineOptions>();
        var forger = new AccessTokenIssuer(services.GetRequiredService<SigningKeyRing>(), options with { AccessTokenLifetime = TimeSpan.FromDays(365) });
        var forged = forger.Mint("mallory", "no-such-session", new string('0', 64), null, """{"role":"admin"}""", Harness.Clock.GetUtcNow()).Token;
        var mallory = Harness.NewClient(mode);

        using var response = await mallory.SendAsync(HttpMethod.Get, "/admin/x", forged);

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertNotForwarded(Harness, "/admin/x");
    }

    private async Task<string> SendRawAsync(string request)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Harness.Gateway.Address.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var status = await reader.ReadLineAsync() ?? "";
        await reader.ReadToEndAsync();
        return status;
    }

    private static void AssertNoTokens(WireMock.IRequestMessage seen, SessionClient client)
    {
        var everything = string.Join("\n", seen.Headers!.SelectMany(h => h.Value.Select(v => h.Key + ": " + v)));
        Assert.DoesNotContain(client.AccessToken!, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(client.RefreshToken!, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("sAccessToken", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("sRefreshToken", everything, StringComparison.Ordinal);
        if (client.Mode == TokenMode.Header)
        {
            Assert.Null(seen.Header("Authorization"));
        }
    }
}
