using System.Diagnostics.Metrics;
using SessionGateway.Sessions;

namespace SessionGateway.Endpoints;

/// <summary>Counters of session events, on the <c>SessionGateway</c> meter (for OpenTelemetry or dotnet-counters).</summary>
internal sealed class SessionMetrics
{
    public const string MeterName = "SessionGateway";

    private readonly Counter<long> _theft;

    public SessionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _theft = meter.CreateCounter<long>("sessiongateway.token_theft", unit: "{event}", description: "Refresh-token reuse detected as theft; each revoked a session.");
    }

    public void TheftDetected(TheftKind kind) => _theft.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
}
