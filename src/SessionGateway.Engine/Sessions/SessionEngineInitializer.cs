using Microsoft.Extensions.Hosting;

namespace SessionGateway.Sessions;

/// <summary>
/// Runs <see cref="SessionEngine.InitializeAsync"/> at host start. Registered before the other engine
/// services, and hosted services start before the server listens, so no request sees an uninitialised engine.
/// A failure (for example an unreadable database) stops the host.
/// </summary>
internal sealed class SessionEngineInitializer(SessionEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => engine.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
