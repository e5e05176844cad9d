using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>
/// One gateway with forward-auth on (the session harness's routes: <c>/public/*</c> anonymous, <c>/api/*</c> a session,
/// <c>/admin/*</c> claim <c>role: admin</c>, anything else a session), a raw upstream recording the bytes it gets, and
/// the shipped nginx and Caddy configurations in front, each started when a test first asks for it.
/// </summary>
public sealed class ShippedProxyFixture : IAsyncLifetime
{
    private readonly Dictionary<ProxyKind, ShippedProxy> _proxies = [];
    // Tests of one class run one at a time; the lock only keeps a proxy from being started twice if that changes.
    private readonly Lock _starting = new();

    internal SessionHarness Harness { get; private set; } = null!;

    internal RawUpstream App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = RawUpstream.Start();
        Harness = await SessionHarness.StartAsync(ForwardAuthContractTests.Options());
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
