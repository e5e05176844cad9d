using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// Methods the forwarder cannot carry (<c>CONNECT</c>), or that echo the request back (<c>TRACE</c>, <c>TRACK</c>),
/// are answered by the gateway with 405 and <c>Allow</c>, never a 5xx from inside the proxy, and never forwarded.
/// </summary>
public sealed class MethodTests : RawUpstreamHarnessTest
{

    [Theory]
    [InlineData("CONNECT", "/public/x")]
    [InlineData("CONNECT", "http://127.0.0.1/public/x")]
    [InlineData("CONNECT", "/api/x")]
    [InlineData("CONNECT", "/api/refresh")]
    [InlineData("TRACE", "/public/x")]
    [InlineData("trace", "/public/x")]
    [InlineData("TRACK", "/public/x")]
    public async Task UnforwardableMethod_Is405WithAllow(string method, string target)
    {
        var response = await RawClient.SendAsync(Harness.Gateway.Address, RawClient.Request(method, target));

        Assert.Equal(405, response.Status);
        Assert.Equal("""{"message":"method not allowed"}""", response.Body);
        Assert.Equal("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", response.Header("Allow"));
        Assert.Equal("no-store", response.Header("Cache-Control"));
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task ConnectToAnAuthority_IsAClientErrorNotAProxyError()
    {
        // The guard answers (a CONNECT that is not a WebSocket handshake): a 4xx, never forwarded.
        var response = await RawClient.SendAsync(Harness.Gateway.Address, RawClient.Request("CONNECT", "127.0.0.1:" + Harness.Gateway.Address.Port));

        Assert.InRange(response.Status, 400, 499);
        Assert.Empty(Upstream.Requests);
    }

    [Theory]
    [InlineData("PROPFIND")]
    [InlineData("QUERY")]
    [InlineData("PATCH")]
    public async Task OtherMethods_AreStillForwarded(string method)
    {
        var response = await RawClient.SendAsync(Harness.Gateway.Address, RawClient.Request(method, "/public/x"));

        Assert.Equal(200, response.Status);
        Assert.Equal(method, Upstream.Single().Method);
    }
}

/// <summary>HTTP/2 WebSocket handshakes are extended <c>CONNECT</c>s (RFC 8441): those the guard lets through.</summary>
public sealed class ExtendedConnectTests
{
    [Fact]
    public async Task WebSocketOverHttp2_IsForwardedNotRefused()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Upstream.CatchAllYaml(upstream.Url()), "--Kestrel:EndpointDefaults:Protocols", "Http2");
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.HttpVersion = System.Net.HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        var uri = new UriBuilder(gateway.Address) { Scheme = "ws", Path = "/live" }.Uri;

        // The WireMock upstream does not speak WebSocket, so the handshake fails after forwarding.
        await Assert.ThrowsAnyAsync<Exception>(() => socket.ConnectAsync(uri, invoker, CancellationToken.None));

        Assert.NotEqual(System.Net.HttpStatusCode.MethodNotAllowed, socket.HttpStatusCode);
        Assert.Contains(upstream.LogEntries, e => e.RequestMessage.Path == "/live");
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("connect-udp")]
    [InlineData("websocketx")]
    public async Task ExtendedConnectForAnotherProtocol_Is405NotAProxyError(string protocol)
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Upstream.CatchAllYaml(upstream.Url()), "--Kestrel:EndpointDefaults:Protocols", "Http2");
        using var client = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Connect, new Uri(gateway.Address, "/live"))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Protocol = protocol;

        using var response = await client.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.DoesNotContain(upstream.LogEntries, e => e.RequestMessage.Path == "/live");
    }
}
