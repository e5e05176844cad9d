using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// A cookie-authenticated WebSocket handshake must come from the gateway's own origin (scheme, host and port) or
/// an allowed one. Browsers send the session cookie to every port of a host, and over http as well as https, so a
/// page on another port or scheme of the same host must not read a user's socket. Over a raw socket, so the
/// <c>Host</c> and <c>Origin</c> are exactly what a browser would send.
/// </summary>
public sealed class WebSocketOriginTests : IAsyncLifetime
{
    private const string AllowedOrigin = "https://app.example";

    private SessionHarness _harness = null!;
    private string _cookie = null!;

    private int Port => _harness.Gateway.Address.Port;

    public async Task InitializeAsync()
    {
        _harness = await SessionHarness.StartAsync(new SessionHarnessOptions { CorsOrigin = AllowedOrigin });
        var alice = await _harness.LoginAsync(TokenMode.Cookie, "alice");
        _cookie = "Cookie: sAccessToken=" + alice.AccessToken;
    }

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Theory]
    [InlineData("http://127.0.0.1:1")]
    [InlineData("https://127.0.0.1:{port}")]
    [InlineData("https://127.0.0.1")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://localhost:{port}")]
    [InlineData("https://app.example:8443")]
    [InlineData("http://app.example")]
    [InlineData("null")]
    public async Task HandshakeFromAnotherOrigin_IsRefusedAndNotForwarded(string origin)
    {
        var response = await HandshakeAsync($"127.0.0.1:{Port}", origin.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        Assert.Equal(440, response.Status);
        Assert.Equal("""{"message":"try refresh token"}""", response.Body);
        Wire.AssertNotForwarded(_harness, "/api/live");
    }

    [Theory]
    [InlineData("127.0.0.1:{port}", "http://127.0.0.1:{port}")]
    [InlineData("127.0.0.1:{port}", "HTTP://127.0.0.1:{port}")]
    [InlineData("gateway.test", "http://gateway.test:80")]
    [InlineData("gateway.test:80", "http://gateway.test")]
    [InlineData("Gateway.Test", "http://gateway.test")]
    [InlineData("127.0.0.1:{port}", AllowedOrigin)]
    [InlineData("127.0.0.1:{port}", "https://app.example:443")]
    public async Task HandshakeFromTheGatewaysOwnOrAnAllowedOrigin_IsForwarded(string host, string origin)
    {
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await HandshakeAsync(host.Replace("{port}", port, StringComparison.Ordinal), origin.Replace("{port}", port, StringComparison.Ordinal));

        var seen = Assert.Single(_harness.UpstreamRequests("/api/live"));
        Assert.Equal("alice", seen.Header("X-User-Id"));
    }

    [Fact]
    public async Task HandshakeWithTwoOrigins_IsRefused()
    {
        var response = await RawClient.SendAsync(_harness.Gateway.Address, Handshake($"127.0.0.1:{Port}", $"http://127.0.0.1:{Port}", "Origin: https://evil.example"));

        Assert.Equal(440, response.Status);
        Wire.AssertNotForwarded(_harness, "/api/live");
    }

    private Task<RawResponse> HandshakeAsync(string host, string origin) =>
        RawClient.SendAsync(_harness.Gateway.Address, Handshake(host, origin));

    private string Handshake(string host, string origin, string extra = "") =>
        "GET /api/live HTTP/1.1\r\n" +
        $"Host: {host}\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        $"Origin: {origin}\r\n" +
        (extra.Length > 0 ? extra + "\r\n" : "") +
        _cookie + "\r\n\r\n";
}
