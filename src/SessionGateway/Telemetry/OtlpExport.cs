namespace SessionGateway.Telemetry;

/// <summary>
/// Which signals the standard OpenTelemetry variables ask to export over OTLP. They are read from the gateway's
/// configuration, which includes the environment (and the command line), as OpenTelemetry's exporter reads them.
/// </summary>
internal sealed record OtlpExport(bool All, bool Traces, bool Metrics)
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string MetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";
    public const string ResourceAttributesVariable = "OTEL_RESOURCE_ATTRIBUTES";

    /// <summary>
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: traces, metrics and logs; otherwise each signal whose own endpoint variable is
    /// set. None set: nothing is exported over OTLP and no tracing provider exists.
    /// </summary>
    public static OtlpExport From(IConfiguration configuration) => new(
        IsSet(configuration, EndpointVariable),
        IsSet(configuration, TracesEndpointVariable),
        IsSet(configuration, MetricsEndpointVariable));

    private static bool IsSet(IConfiguration configuration, string name) => !string.IsNullOrWhiteSpace(configuration[name]);
}
