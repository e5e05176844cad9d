namespace SessionGateway.Management;

/// <summary>
/// The first step of the pipeline when a management listener is configured: a request that arrived on the management
/// port goes to the management pipeline (probes and metrics, nothing else), every other request on to the traffic
/// pipeline. The traffic path pays one integer comparison.
/// </summary>
internal sealed class ManagementPortMiddleware(RequestDelegate next, RequestDelegate management, int port)
{
    public Task InvokeAsync(HttpContext context) =>
        context.Connection.LocalPort == port ? management(context) : next(context);
}
