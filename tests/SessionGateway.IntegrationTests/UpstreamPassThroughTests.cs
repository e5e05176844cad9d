using System.Net;
using System.Net.WebSockets;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>What is not about the session must not look like it: upstream statuses, outages, upgrades.</summary>
public sealed class UpstreamPassThroughTests : SessionHarnessTest
{
    [Theory]
    [InlineData(TokenMode.Cookie, 401)]
    [InlineData(TokenMode.Header, 401)]
    [InlineData(TokenMode.Cookie, 440)]
    [InlineData(TokenMode.Header, 440)]
    [InlineData(TokenMode.Cookie, 403)]
    public async Task UpstreamStatus_OnProtectedRoute_PassesThroughUntouched(TokenMode mode, int status)
    {
        Harness.MapResponse("/api/own-auth", status, """{"error":"the app's own"}""", ("WWW-Authenticate", "Basic realm=app"), ("Content-Type", "application/problem+json"));
        var alice = await Harness.LoginAsync(mode, "alice");

        using var response = await alice.GetAsync("/api/own-auth");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("""{"error":"the app's own"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Basic realm=app", Wire.Header(response, "WWW-Authenticate"));
        Wire.AssertSessionUntouched(response);

        // And the session is untouched on the server too.
        using var next = await alice.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task ProtectedRoute_WhenUpstreamIsDown_Is502NotSessionExpired(TokenMode mode)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { UpstreamAddress = $"http://127.0.0.1:{Upstream.FreePort()}/" });
        var client = harness.NewClient(mode);

        // The login route is down too, so mint the session the way login would: through the engine.
        var engine = (SessionGateway.Sessions.SessionEngine)harness.Gateway.Services.GetService(typeof(SessionGateway.Sessions.SessionEngine))!;
        var session = (await engine.CreateAsync("alice", null, withAntiCsrfToken: false, CancellationToken.None)).Value!;
        client.AccessToken = session.AccessToken;

        using var response = await client.GetAsync("/api/x");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task WebSocketUpgrade_OnProtectedRouteWithoutSession_IsRefusedWith401()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(Harness.Gateway.Address) { Scheme = "ws", Path = "/api/live" }.Uri;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        Wire.AssertNotForwarded(Harness, "/api/live");
    }

    [Fact]
    public async Task WebSocketUpgrade_OnProtectedRouteWithExpiredSession_IsRefusedWith440()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        Harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Cookie", "sAccessToken=" + alice.AccessToken);
        var uri = new UriBuilder(Harness.Gateway.Address) { Scheme = "ws", Path = "/api/live" }.Uri;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Equal((HttpStatusCode)440, socket.HttpStatusCode);
        Wire.AssertNotForwarded(Harness, "/api/live");
    }

    [Fact]
    public async Task WebSocketUpgrade_OnProtectedRouteWithSession_IsForwardedWithIdentityAndNoToken()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Cookie", "sAccessToken=" + alice.AccessToken);
        var uri = new UriBuilder(Harness.Gateway.Address) { Scheme = "ws", Path = "/api/live" }.Uri;

        // The WireMock upstream does not speak WebSocket, so the handshake fails after forwarding.
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        var seen = Assert.Single(Harness.UpstreamRequests("/api/live"));
        Assert.Equal("alice", seen.Header("X-User-Id"));
        Assert.Null(seen.Header("Cookie"));
    }

    [Fact]
    public async Task WebSocketUpgrade_WithCookieFromAnotherOrigin_IsRefused()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Cookie", "sAccessToken=" + alice.AccessToken);
        socket.Options.SetRequestHeader("Origin", "https://evil.example");
        var uri = new UriBuilder(Harness.Gateway.Address) { Scheme = "ws", Path = "/api/live" }.Uri;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        // Other ports and schemes of the gateway's own host are other origins too: WebSocketOriginTests.
        Assert.Equal((HttpStatusCode)440, socket.HttpStatusCode);
        Wire.AssertNotForwarded(Harness, "/api/live");
    }
}
