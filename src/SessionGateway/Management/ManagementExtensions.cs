using System.Runtime.CompilerServices;
using OpenTelemetry.Metrics;
using SessionGateway.Admin;
using SessionGateway.Configuration;

namespace SessionGateway.Management;

/// <summary>Registers the management listener's services and puts its branch at the head of the pipeline.</summary>
internal static class ManagementExtensions
{
    /// <summary>
    /// Readiness, the drain at shutdown and the Prometheus exporter (the telemetry registration adds the meters it
    /// reads). Nothing when no management listener is configured.
    /// </summary>
    public static IServiceCollection AddManagementListener(this IServiceCollection services, ManagementSettings settings)
    {
        if (!settings.Enabled)
        {
            return services;
        }

        services.AddSingleton<GatewayReadiness>();
        services.AddHostedService(provider => new GracefulDrain(
            provider.GetRequiredService<GatewayReadiness>(),
            settings.DrainDelay,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<GracefulDrain>>()));
        AddPrometheusExporter(services);
        return services;
    }

    /// <summary>
    /// A method of its own so that OpenTelemetry's assemblies load only with a management listener: precompiled code
    /// loads the assembly of every type a method names as the method is entered.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddPrometheusExporter(IServiceCollection services) =>
        // The meters themselves are added by the telemetry registration (AddGatewayTelemetry).
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());

    /// <summary>
    /// First in the pipeline: requests on <paramref name="listener"/>'s port go to a pipeline of their own that answers
    /// <c>/metrics</c> (the exporter), <c>/healthz</c> and <c>/readyz</c>, the admin API under <c>/admin</c> when an
    /// admin key is configured, and 404 for anything else: no session endpoints, no route, nothing forwarded. Traffic
    /// never reaches that pipeline, and so never the admin API.
    /// </summary>
    public static void UseManagementListener(this IApplicationBuilder app, ManagementListener listener)
    {
        var branch = app.New();
        branch.UseOpenTelemetryPrometheusScrapingEndpoint(context => ManagementEndpoints.IsRead(context, ManagementEndpoints.MetricsPath));
        if (AdminApiExtensions.BuildAdminApi(app, listener.Port) is { } admin)
        {
            branch.Use(next => context => context.Request.Path.StartsWithSegments(AdminApiDefaults.PathPrefix, StringComparison.OrdinalIgnoreCase)
                ? admin(context)
                : next(context));
        }

        branch.Run(ManagementEndpoints.HandleAsync);
        var management = branch.Build();
        app.Use(next => new ManagementPortMiddleware(next, management, listener.Port).InvokeAsync);
    }
}
