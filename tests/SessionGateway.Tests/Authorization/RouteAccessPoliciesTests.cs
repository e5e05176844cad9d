using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.Authorization;
using SessionGateway.Configuration;

namespace SessionGateway.Tests.Authorization;

public sealed class RouteAccessPoliciesTests
{
    private static RouteAccessPolicies Policies()
    {
        var settings = new SessionSettings
        {
            Policies = new Dictionary<string, PolicySettings>
            {
                ["admin"] = new() { RequireClaims = new Dictionary<string, string> { ["role"] = "admin" } },
            },
        };
        var services = new ServiceCollection().AddLogging().AddSessionAuthorization(settings).BuildServiceProvider();
        return services.GetRequiredService<RouteAccessPolicies>();
    }

    private static Endpoint Endpoint(params object[] metadata) => new(_ => Task.CompletedTask, new EndpointMetadataCollection(metadata), "test");

    [Fact]
    public async Task RouteWithoutPolicy_AndNoEndpoint_NeedASession()
    {
        var policies = Policies();
        foreach (var endpoint in new[] { Endpoint(), null })
        {
            var access = await policies.ResolveAsync(endpoint);
            Assert.False(access.AllowsAnonymous);
            Assert.True(access.SessionSuffices);
            Assert.True(policies.TryGet(endpoint, out var cached));
            Assert.Same(access, cached);
        }
    }

    [Fact]
    public async Task AnonymousRoute_AllowsAnyone_EvenWithAPolicyBesideIt()
    {
        var access = await Policies().ResolveAsync(Endpoint(new AuthorizeAttribute("admin"), new AllowAnonymousAttribute()));

        Assert.True(access.AllowsAnonymous);
    }

    [Fact]
    public async Task DefaultPolicy_NeedsASessionOnly_ClaimPolicy_NeedsTheAuthorizationService()
    {
        var policies = Policies();

        var session = await policies.ResolveAsync(Endpoint(new AuthorizeAttribute()));
        var admin = await policies.ResolveAsync(Endpoint(new AuthorizeAttribute("admin")));

        Assert.True(session.SessionSuffices);
        Assert.False(admin.AllowsAnonymous);
        Assert.False(admin.SessionSuffices);
        Assert.Contains(admin.Policy!.Requirements, r => r is ClaimRequirement);
    }

    [Fact]
    public async Task UnknownPolicyName_Throws_NeverLetsThrough()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Policies().ResolveAsync(Endpoint(new AuthorizeAttribute("nope"))).AsTask());
    }
}
