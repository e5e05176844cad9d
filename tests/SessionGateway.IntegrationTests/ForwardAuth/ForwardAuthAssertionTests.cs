using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>An allowed forward-auth answer carries the signed assertion of the route it matched, as a forwarded request would.</summary>
public sealed class ForwardAuthAssertionTests
{
    private static HttpRequestMessage Traefik(SessionClient client, string uri)
    {
        var request = client.NewRequest(HttpMethod.Get, "/api/verify");
        request.Headers.Add("X-Forwarded-Method", "GET");
        request.Headers.Add("X-Forwarded-Uri", uri);
        return request;
    }

    [Fact]
    public async Task AllowedDecision_OnAnOptedInRoute_CarriesAnAssertionForThatRoutesAudience_OthersNone()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraRoutesYaml = AssertionTests.Routes,
            ExtraSessionYaml = ForwardAuthContractTests.Options().ExtraSessionYaml,
            ExtraArgs = ["--Session:AccessTokenLifetime", "5m"],
        });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice", """{"role":"user"}""");
        var jwks = await harness.Http.GetStringAsync("/.well-known/jwks.json");

        using var billingRequest = Traefik(alice, "/billing/invoices");
        using var billing = await harness.Http.SendAsync(billingRequest);
        using var againRequest = Traefik(alice, "/billing/invoices/2");
        using var again = await harness.Http.SendAsync(againRequest);
        using var apiRequest = Traefik(alice, "/api/orders");
        using var api = await harness.Http.SendAsync(apiRequest);

        Assert.Equal(HttpStatusCode.OK, billing.StatusCode);
        var assertion = Wire.Header(billing, "X-Session-Assertion");
        var result = await AssertionTests.VerifyAsDocumentedAsync(assertion, jwks, "billing-api", validateLifetime: false);
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("alice", result.Claims["sub"]);
        Assert.Equal("user", result.Claims["role"]);
        // A cache hit: the same token and audience get the same assertion, no second signature.
        Assert.Equal(assertion, Wire.Header(again, "X-Session-Assertion"));
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Null(Wire.Header(api, "X-Session-Assertion"));
    }
}
