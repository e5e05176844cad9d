using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>
/// <c>Session:ForwardAuth:TrustedProxies</c>: the proxies' description of the original request, and the client address in
/// <c>X-Forwarded-For</c>, count only from a trusted address; from anyone else they are ignored and the decision
/// request is judged as itself.
/// </summary>
public sealed class TrustedProxyTests
{
    private static HttpRequestMessage Traefik(string uri)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/verify");
        request.Headers.Add("X-Forwarded-Method", "GET");
        request.Headers.Add("X-Forwarded-Uri", uri);
        return request;
    }

    [Fact]
    public async Task ForwardedHeaders_FromATrustedProxy_DescribeTheRequest()
    {
        await using var harness = await SessionHarness.StartAsync(ForwardAuthContractTests.Options());

        using var request = Traefik("/public/page");
        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("X-Forwarded-Uri")]
    [InlineData("X-Original-URI")]
    public async Task ForwardedHeaders_FromAnUntrustedAddress_AreIgnored(string header)
    {
        // Loopback is not trusted here: the public path in the header is not believed, and the decision request is
        // judged as what it is, GET /api/verify ("/" under the decision path), which needs a session.
        await using var harness = await SessionHarness.StartAsync(ForwardAuthContractTests.Options(trustedProxies: "10.0.0.0/8"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/verify");
        request.Headers.Add(header, "/public/page");
        using var response = await harness.Http.SendAsync(request);

        await Wire.AssertJsonAsync(response, 401, """{"message":"unauthorised"}""");
        Assert.Null(Wire.Header(response, "X-Session-Status"));
    }

    [Fact]
    public async Task ATrustedIPv4MappedAddress_CoversTheIPv4Client()
    {
        // ::ffff:127.0.0.1 is 127.0.0.1: a single trusted IPv4 address covers a client reaching a dual-stack socket.
        await using var harness = await SessionHarness.StartAsync(ForwardAuthContractTests.Options(trustedProxies: "::ffff:127.0.0.1"));

        using var request = Traefik("/public/page");
        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK })]
    [InlineData("10.0.0.0/8", new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests })]
    public async Task ClientAddress_IsTakenFromXForwardedFor_OnlyFromATrustedProxy(string? trusted, HttpStatusCode[] expected)
    {
        // One login per client address and minute: behind a trusted ingress each client has its own window; an
        // untrusted sender's X-Forwarded-For is its own claim and changes nothing.
        var options = ForwardAuthContractTests.Options(trusted);
        await using var harness = await SessionHarness.StartAsync(options with
        {
            ExtraSessionYaml = options.ExtraSessionYaml + "\n  RateLimits:\n    Login:\n      PermitLimit: 1\n      Window: 1m",
        });
        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { "203.0.113.7", "203.0.113.7", "203.0.113.8" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, harness.MapLogin("alice")) { Content = new StringContent("u=alice") };
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await harness.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(expected, statuses);
    }
}
