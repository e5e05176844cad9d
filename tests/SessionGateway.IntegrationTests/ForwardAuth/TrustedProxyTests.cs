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
    [InlineData("X-Forwarded-Uri", 403)]
    [InlineData("X-Original-URI", 401)]
    [InlineData("X-Original-URL", 401)]
    public async Task Descriptions_FromAnUntrustedAddress_AreRefused_NotJudgedAsTheDecisionPathItself(string header, int status)
    {
        // Loopback is not trusted here. The description is not believed; nor is the request judged as what it is
        // (GET /api/verify, a decision about "/"), which would allow everything wherever "/" is public (here the
        // public page below, so an allowed answer would show). A proxy missing from TrustedProxies fails closed.
        await using var harness = await SessionHarness.StartAsync(ForwardAuthContractTests.Options(trustedProxies: "10.0.0.0/8"));
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");

        for (var i = 0; i < 2; i++)
        {
            using var request = alice.NewRequest(HttpMethod.Get, "/api/verify");
            request.Headers.Add(header, header == "X-Original-URL" ? "http://app.example.com/public/page" : "/public/page");
            using var response = await harness.Http.SendAsync(request);

            Assert.Equal(status, (int)response.StatusCode);
            Assert.Null(Wire.Header(response, "X-User-Id"));
            if (status == 401)
            {
                // nginx's shape: the real status in a header, for the snippet's error_page.
                Assert.Equal("403", Wire.Header(response, "X-Session-Status"));
            }
        }

        // The misconfiguration is named in the log, once (not once per request).
        var warning = Assert.Single(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2191);
        Assert.Contains("127.0.0.1", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Session:ForwardAuth:TrustedProxies", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUntrustedAddress_WithoutDescriptions_IsJudgedAsItsOwnRequest()
    {
        // Envoy's shape needs no trust: the check is the request itself under the decision path.
        await using var harness = await SessionHarness.StartAsync(ForwardAuthContractTests.Options(trustedProxies: "10.0.0.0/8"));

        using var response = await harness.Http.GetAsync("/api/verify/public/page");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
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
