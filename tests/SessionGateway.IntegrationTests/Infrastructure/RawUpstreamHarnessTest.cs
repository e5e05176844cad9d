namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A test class with its own gateway in front of a <see cref="RawUpstream"/>, which records the request bytes exactly
/// as they arrived: for what a client library would normalise on the way.
/// </summary>
public abstract class RawUpstreamHarnessTest : IAsyncLifetime
{
    private RawUpstream? _upstream;
    private SessionHarness? _harness;

    internal RawUpstream Upstream => _upstream ?? throw new InvalidOperationException("the upstream is not started");

    internal SessionHarness Harness => _harness ?? throw new InvalidOperationException("the harness is not started");

    public async Task InitializeAsync()
    {
        _upstream = RawUpstream.Start();
        _harness = await SessionHarness.StartAsync(new SessionHarnessOptions { UpstreamAddress = _upstream.Url });
        await StartedAsync();
    }

    /// <summary>Runs once the gateway is up, for sessions the class's tests share.</summary>
    private protected virtual Task StartedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }

        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }
}
