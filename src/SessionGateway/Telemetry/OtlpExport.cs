namespace SessionGateway.Telemetry;

/// <summary>
/// Which signals the standard OpenTelemetry variables ask to export over OTLP, each on its own. They are read from the
/// gateway's configuration, which includes the environment (and the command line), as OpenTelemetry's exporter reads them.
/// </summary>
internal sealed record OtlpExport(bool Traces, bool Metrics, bool Logs)
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string MetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    public const string LogsEndpointVariable = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
    public const string TracesExporterVariable = "OTEL_TRACES_EXPORTER";
    public const string MetricsExporterVariable = "OTEL_METRICS_EXPORTER";
    public const string LogsExporterVariable = "OTEL_LOGS_EXPORTER";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";
    public const string ResourceAttributesVariable = "OTEL_RESOURCE_ATTRIBUTES";

    /// <summary>Whether any signal is exported.</summary>
    public bool Any => Traces || Metrics || Logs;

    /// <summary>
    /// A signal is exported when an endpoint applies to it (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or the signal's own
    /// <c>OTEL_EXPORTER_OTLP_{SIGNAL}_ENDPOINT</c>) and its <c>OTEL_{SIGNAL}_EXPORTER</c> names <c>otlp</c>, which is the
    /// specification's default when it is unset: <c>none</c> (or any list without <c>otlp</c>) turns the signal off.
    /// Nothing exported: no tracing provider and no OpenTelemetry logging provider exist.
    /// </summary>
    public static OtlpExport From(IConfiguration configuration)
    {
        var endpoint = IsSet(configuration, EndpointVariable);
        return new OtlpExport(
            (endpoint || IsSet(configuration, TracesEndpointVariable)) && NamesOtlp(configuration[TracesExporterVariable]),
            (endpoint || IsSet(configuration, MetricsEndpointVariable)) && NamesOtlp(configuration[MetricsExporterVariable]),
            (endpoint || IsSet(configuration, LogsEndpointVariable)) && NamesOtlp(configuration[LogsExporterVariable]));
    }

    /// <summary>The signals exported and where to, for the start-up log line (endpoints are URLs, no credentials: headers are not shown).</summary>
    public string Describe(IConfiguration configuration)
    {
        var signals = new List<string>(3);
        if (Traces)
        {
            signals.Add("traces to " + Endpoint(configuration, TracesEndpointVariable));
        }

        if (Metrics)
        {
            signals.Add("metrics to " + Endpoint(configuration, MetricsEndpointVariable));
        }

        if (Logs)
        {
            signals.Add("logs to " + Endpoint(configuration, LogsEndpointVariable));
        }

        return string.Join(", ", signals);
    }

    /// <summary>The endpoint a signal goes to, without any user name or password written into the URL.</summary>
    private static string Endpoint(IConfiguration configuration, string signalVariable)
    {
        var endpoint = IsSet(configuration, signalVariable) ? configuration[signalVariable]! : configuration[EndpointVariable]!;
        return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : endpoint;
    }

    /// <summary>The variable is a comma-separated list of exporter names; unset or empty means <c>otlp</c>.</summary>
    private static bool NamesOtlp(string? exporters) =>
        string.IsNullOrWhiteSpace(exporters) ||
        exporters.Split(',', StringSplitOptions.TrimEntries).Contains("otlp", StringComparer.OrdinalIgnoreCase);

    private static bool IsSet(IConfiguration configuration, string name) => !string.IsNullOrWhiteSpace(configuration[name]);
}
