using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.IntegrationTests.Deploy;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>
/// One gateway running the forward-auth example the deploy files are written for (deploy/proxy.forward-auth.yaml, as
/// it is but for its listen address and the login route's app address: <c>/api/*</c> a session, <c>/admin/*</c> claim
/// <c>role: admin</c>, everything else public), a raw upstream recording the bytes it gets, and the shipped nginx and
/// Caddy configurations in front, each started when a test first asks for it.
/// </summary>
public sealed class ShippedProxyFixture : IAsyncLifetime
{
    /// <summary>The app address in the example (its login route's cluster), replaced by the harness's upstream.</summary>
    private const string ExampleAppAddress = "Address: http://127.0.0.1:5080/";

    private readonly Dictionary<ProxyKind, ShippedProxy> _proxies = [];
    // Tests of one class run one at a time; the lock only keeps a proxy from being started twice if that changes.
    private readonly Lock _starting = new();

    internal SessionHarness Harness { get; private set; } = null!;

    internal RawUpstream App { get; private set; } = null!;

    /// <summary>The example's <c>Session:AccessTokenLifetime</c>, as the gateway read it.</summary>
    internal TimeSpan AccessTokenLifetime => Harness.Gateway.Services.GetRequiredService<IOptions<SessionSettings>>().Value.AccessTokenLifetime;

    public async Task InitializeAsync()
    {
        App = RawUpstream.Start();
        var example = await File.ReadAllTextAsync(RepositoryFiles.PathOf("deploy", "proxy.forward-auth.yaml"));
        Assert.True(example.Split(ExampleAppAddress).Length == 2, $"deploy/proxy.forward-auth.yaml: expected '{ExampleAppAddress}' once");
        Harness = await SessionHarness.StartAsync(new SessionHarnessOptions { Config = upstream => example.Replace(ExampleAppAddress, "Address: " + upstream, StringComparison.Ordinal) });
    }

    internal async Task<ShippedProxy> ProxyAsync(ProxyKind kind)
    {
        lock (_starting)
        {
            if (_proxies.TryGetValue(kind, out var running))
            {
                return running;
            }
        }

        var proxy = await ShippedProxy.StartAsync(kind, Harness.Gateway.Address, new Uri(App.Url));
        lock (_starting)
        {
            _proxies[kind] = proxy;
        }

        return proxy;
    }

    public async Task DisposeAsync()
    {
        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }

        await Harness.DisposeAsync();
        await App.DisposeAsync();
    }
}
