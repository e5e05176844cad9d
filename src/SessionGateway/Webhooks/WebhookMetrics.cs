using System.Diagnostics.Metrics;
using SessionGateway.Telemetry;

namespace SessionGateway.Webhooks;

/// <summary>The webhook sender's instrument on the <c>SessionGateway</c> meter. Attributes never carry a user id, a handle or a webhook id.</summary>
internal sealed class WebhookMetrics
{
    private static readonly KeyValuePair<string, object?> DeliveredOutcome = new("outcome", "delivered");
    private static readonly KeyValuePair<string, object?> FailedOutcome = new("outcome", "failed");
    private static readonly KeyValuePair<string, object?> DroppedOutcome = new("outcome", "dropped");

    private readonly Counter<long> _deliveries;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(SessionMetrics.MeterName);
        _deliveries = meter.CreateCounter<long>(
            "sessiongateway.webhooks.deliveries",
            unit: "{attempt}",
            description: "Webhook attempts, by outcome: delivered (a 2xx), failed (tried again later), dropped (given up after Session:Webhooks:RetryFor).");
    }

    public void Delivered() => _deliveries.Add(1, DeliveredOutcome);

    public void Failed() => _deliveries.Add(1, FailedOutcome);

    public void Dropped() => _deliveries.Add(1, DroppedOutcome);
}
