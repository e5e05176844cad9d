namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>A test class with its own gateway and upstream (default <see cref="SessionHarness"/> settings).</summary>
public abstract class SessionHarnessTest : IAsyncLifetime
{
    private SessionHarness? _harness;

    internal SessionHarness Harness => _harness ?? throw new InvalidOperationException("the harness is not started");

    public async Task InitializeAsync() => _harness = await SessionHarness.StartAsync();

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
