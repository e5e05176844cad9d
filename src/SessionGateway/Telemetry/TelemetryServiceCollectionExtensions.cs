using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SessionGateway.Telemetry;

/// <summary>
/// Registers the gateway's meters and, when the standard <c>OTEL_*</c> variables ask for it, tracing and OTLP export.
/// Other components add to the same OpenTelemetry registration (the management listener adds its Prometheus reader).
/// </summary>
internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>The framework meters exported next to <c>SessionGateway</c>. YARP 2.3 has no meter: its event counters are bridged by <see cref="YarpCounters"/>.</summary>
    internal static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http",
        "System.Net.NameResolution",
        "System.Runtime",
    ];

    /// <summary>
    /// The activity sources traced next to <c>SessionGateway</c>: ASP.NET Core's request span comes from its
    /// instrumentation, YARP's forwarding span from <c>Yarp.ReverseProxy</c>, the upstream call from the HTTP client.
    /// </summary>
    internal static readonly string[] FrameworkSources = ["Yarp.ReverseProxy", "System.Net.Http"];

    /// <param name="services">The gateway's services.</param>
    /// <param name="configuration">The gateway's configuration, which includes the environment's <c>OTEL_*</c> variables.</param>
    /// <param name="scraped">Whether the management listener serves <c>/metrics</c> (it adds its Prometheus reader).</param>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration, bool scraped)
    {
        services.AddMetrics();
        services.AddSingleton<SessionMetrics>();
        var export = OtlpExport.From(configuration);
        if (!scraped && !export.Any)
        {
            // Nothing reads telemetry: OpenTelemetry is not even loaded (its assemblies and hosted service cost a start
            // time and memory). The instruments still exist for dotnet-counters.
            return services;
        }

        AddOpenTelemetry(services, configuration, scraped, export);
        return services;
    }

    // Not inlined into the caller: a method's precompiled code loads the assemblies of the types it names before it
    // runs, so the OpenTelemetry assemblies would be loaded at every start, read or not.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOpenTelemetry(IServiceCollection services, IConfiguration configuration, bool scraped, OtlpExport export)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) wins; this is only the default.
                if (string.IsNullOrEmpty(configuration[OtlpExport.ServiceNameVariable]) &&
                    configuration[OtlpExport.ResourceAttributesVariable]?.Contains("service.name=", StringComparison.Ordinal) != true)
                {
                    resource.AddService("sessiongateway");
                }
            });

        // Meters only when something reads them: an instrument nobody listens to costs a check per measurement, one
        // that is listened to (the framework's per-request histograms included) costs an aggregation per request.
        if (scraped || export.Metrics)
        {
            telemetry.WithMetrics(metrics => metrics.AddMeter(EngineTelemetry.Name).AddMeter(FrameworkMeters).AddMeter(YarpCounters.MeterName));
            // YARP's event counters, bridged: the listener is what turns them on, so it exists only when they are read.
            services.AddSingleton<YarpCounters>();
            services.AddHostedService(provider => provider.GetRequiredService<YarpCounters>());
        }

        // Each signal on its own, so OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none turns exactly that one off (UseOtlpExporter
        // would export all three whenever the endpoint is set). Tracing only when traces are exported: with no provider
        // nothing listens to the activity sources, and every StartActivity on the request path is a null check.
        if (export.Traces)
        {
            telemetry.WithTracing(tracing => AddSources(tracing).AddOtlpExporter());
        }

        if (export.Metrics)
        {
            telemetry.WithMetrics(metrics => metrics.AddOtlpExporter());
        }

        // The OpenTelemetry logging provider only when logs are exported: session events carry user ids and session
        // handles, which leave the process only when the operator asked for it.
        if (export.Logs)
        {
            telemetry.WithLogging(logging => logging.AddOtlpExporter());
        }

        if (export.Any)
        {
            services.AddSingleton(export);
            services.AddHostedService<OtlpExportNotice>();
        }
    }

    private static TracerProviderBuilder AddSources(TracerProviderBuilder tracing) =>
        tracing.AddSource(EngineTelemetry.Name).AddSource(FrameworkSources).AddAspNetCoreInstrumentation();
}
