namespace SessionGateway.Management;

/// <summary>
/// The drain at shutdown. The host calls every <see cref="IHostedLifecycleService.StoppingAsync"/> before any
/// <see cref="IHostedService.StopAsync"/>, and the web server stops accepting in its own <c>StopAsync</c>: so while
/// this waits <c>Session:Management:DrainDelay</c>, readiness says "draining" and requests are still served. Then the
/// server stops accepting and lets requests in flight finish; the wait and that finish share the host's shutdown
/// timeout (the token this gets).
/// </summary>
internal sealed partial class GracefulDrain(GatewayReadiness readiness, TimeSpan delay, TimeProvider time, ILogger<GracefulDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.BeginDrain();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        Log.Draining(logger, delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out (or a second stop was asked for): stop now.
        }

        Log.DrainOver(logger);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(5003, LogLevel.Information, "Stopping: /readyz answers 503; still serving for {DelaySeconds} s (Session:Management:DrainDelay) before the listeners close")]
        public static partial void Draining(ILogger logger, double delaySeconds);

        [LoggerMessage(5004, LogLevel.Information, "Drain delay over: the listeners close; requests in flight may finish within the shutdown timeout")]
        public static partial void DrainOver(ILogger logger);
    }
}
