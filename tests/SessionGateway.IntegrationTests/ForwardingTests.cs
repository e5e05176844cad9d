using System.Net;
using System.Net.Sockets;
using System.Text;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

public sealed class ForwardingTests : IAsyncLifetime
{
    private WireMock.Server.WireMockServer _upstream = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = Upstream.Start();
        _gateway = await TestGateway.StartAsync(Upstream.CatchAllYaml(_upstream.Url()));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task Request_OnRoute_ReachesUpstreamWithMethodPathQueryBodyAndHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/orders/42?expand=lines&x=%20y")
        {
            Content = new StringContent("{\"qty\":3}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Request-Id", "abc-123");

        using var response = await _gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upstream ok", await response.Content.ReadAsStringAsync());
        var seen = _upstream.LastRequest().RequestMessage;
        Assert.Equal("PUT", seen.Method);
        Assert.Equal("/orders/42", seen.Path);
        Assert.Equal("lines", seen.Query!["expand"].Single());
        Assert.Equal(" y", seen.Query["x"].Single());
        Assert.Equal("{\"qty\":3}", seen.Body);
        Assert.Equal("abc-123", seen.Header("X-Request-Id"));
        Assert.StartsWith("application/json", seen.Header("Content-Type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SpoofedIdentityHeaders_InEverySpelling_NeverReachUpstream()
    {
        // Raw HTTP/1.1 so that every spelling travels as the client wrote it (HttpClient would merge them).
        const string request =
            "GET /spoof HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\n" +
            "x-user-id: a\r\n" +
            "X_User_Id: b\r\n" +
            "X-USER-ID: c\r\n" +
            "x_user-ID: d\r\n" +
            "X-Session-Handle: e\r\n" +
            "x_session_handle: f\r\n" +
            "X-Session-Role: admin\r\n" +
            "X_SESSION_CREATE: mallory\r\n" +
            "X-Keep: yes\r\n" +
            "Connection: close\r\n\r\n";

        var status = await SendRawAsync(request);

        Assert.StartsWith("HTTP/1.1 200", status, StringComparison.Ordinal);
        var headers = _upstream.LastRequest().RequestMessage.Headers!;
        var leaked = headers.Keys.Where(k =>
        {
            var n = k.Replace('_', '-').ToUpperInvariant();
            return n == "X-USER-ID" || n.StartsWith("X-SESSION-", StringComparison.Ordinal);
        });
        Assert.Empty(leaked);
        Assert.Equal("yes", _upstream.LastRequest().RequestMessage.Header("X-Keep"));
    }

    [Fact]
    public async Task Request_WhenUpstreamIsDown_Is502()
    {
        var deadPort = Upstream.FreePort();
        await using var gateway = await TestGateway.StartAsync(Upstream.CatchAllYaml($"http://127.0.0.1:{deadPort}/"));

        Assert.Equal(HttpStatusCode.BadGateway, await gateway.StatusOfAsync("/anything"));
    }

    /// <summary>
    /// A one-second timeout, the cluster's (ActivityTimeout) or the route's (Timeout): within it the answer is forwarded,
    /// past it the client gets 504. The route's was found by a campaign of extreme settings: it made every request on the
    /// route a 500, because the framework's request-timeout middleware was not in the pipeline.
    /// </summary>
    [Theory]
    [InlineData("    app:\n", "      HttpRequest:\n        ActivityTimeout: 00:00:01\n")]
    [InlineData("      AuthorizationPolicy: anonymous\n", "      Timeout: 00:00:01\n")]
    public async Task Request_WithinATimeout_IsForwarded_And504PastIt(string after, string timeout)
    {
        using var slow = SlowUpstream();
        var yaml = Upstream.CatchAllYaml(slow.Url()).Replace(after, after + timeout, StringComparison.Ordinal);
        Assert.Contains(timeout, yaml, StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(yaml);

        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/fast"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, await gateway.StatusOfAsync("/slow"));
    }

    /// <summary>An upstream that answers /fast at once and /slow after 5 seconds.</summary>
    private static WireMock.Server.WireMockServer SlowUpstream()
    {
        var slow = WireMock.Server.WireMockServer.Start(new WireMock.Settings.WireMockServerSettings { Urls = [$"http://127.0.0.1:{Upstream.FreePort()}"] });
        slow.Given(WireMock.RequestBuilders.Request.Create().WithPath("/slow"))
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(5)));
        slow.Given(WireMock.RequestBuilders.Request.Create().WithPath("/fast"))
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200));
        return slow;
    }

    private async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _gateway.Address.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "";
    }
}
