using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace SessionGateway.Management;

/// <summary>
/// The first step of the pipeline when a management listener is configured: a request that arrived on the management
/// port goes to the management pipeline (probes and metrics, nothing else), every other request on to the traffic
/// pipeline. The traffic path pays one integer comparison.
/// </summary>
internal sealed class ManagementPortMiddleware(RequestDelegate next, RequestDelegate management, int port)
{
    /// <summary>The activity ASP.NET Core's hosting starts for each request.</summary>
    private const string HostingActivityName = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Connection.LocalPort != port)
        {
            return next(context);
        }

        Unobserved(context);
        return management(context);
    }

    /// <summary>
    /// Probes and scrapes are not traffic: a kubelet asking every 2 s and Prometheus every 15 s would otherwise fill
    /// <c>http.server.request.duration</c> with route-less series and, with traces exported, send a root trace (and its
    /// store ping) per probe. ASP.NET Core's hosting meter skips a request whose metrics are disabled; the request's
    /// span is unmarked as recorded (what OpenTelemetry's ASP.NET Core instrumentation does for a filtered request), so
    /// the exporter drops it and the parent-based sampler drops its children. The store call's duration is still
    /// measured (<c>sessiongateway.store.duration</c>, operation <c>ping</c>).
    /// </summary>
    private static void Unobserved(HttpContext context)
    {
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } metrics)
        {
            metrics.MetricsDisabled = true;
        }

        if (Activity.Current is { } activity && activity.OperationName == HostingActivityName)
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
