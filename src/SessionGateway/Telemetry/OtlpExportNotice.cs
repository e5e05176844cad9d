namespace SessionGateway.Telemetry;

/// <summary>
/// One line at start naming what is exported over OTLP and where. OpenTelemetry's exporters report a failing export
/// only through their own self-diagnostics (OTEL_DIAGNOSTICS.json, see docs/operations.md), so without this line an
/// operator could not tell from the gateway's log whether export is on at all.
/// </summary>
internal sealed partial class OtlpExportNotice(OtlpExport export, IConfiguration configuration, ILogger<OtlpExportNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Log.Exporting(logger, export.Describe(configuration));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(5050, LogLevel.Information, "OpenTelemetry: exporting {Signals} over OTLP; a failing export is not logged here, see OpenTelemetry's self-diagnostics (OTEL_DIAGNOSTICS.json)")]
        public static partial void Exporting(ILogger logger, string signals);
    }
}
