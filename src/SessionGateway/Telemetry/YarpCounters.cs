using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace SessionGateway.Telemetry;

/// <summary>
/// YARP 2.3's forwarding counts as OpenTelemetry instruments on the meter <c>Yarp.ReverseProxy</c>. YARP has no meter:
/// it counts in its <c>Yarp.ReverseProxy</c> EventSource (an <c>Interlocked.Increment</c> per request, always) and
/// publishes the totals as EventCounters to whoever enables the source. This listener enables it at level
/// <see cref="EventLevel.Critical"/> with no keywords, which turns on the counters (written once per interval) and none
/// of YARP's per-request informational events, so the request path costs what it cost before. The values are the
/// process's totals, refreshed every <see cref="IntervalSeconds"/>; registered only when metrics are read (/metrics
/// or OTLP).
/// </summary>
internal sealed class YarpCounters : EventListener, IHostedService
{
    public const string MeterName = "Yarp.ReverseProxy";
    private const string SourceName = "Yarp.ReverseProxy";
    private const int IntervalSeconds = 1;

    private long _started;
    private long _failed;
    private long _current;

    public YarpCounters(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("yarp.proxy.requests.started", () => Volatile.Read(ref _started), unit: "{request}", description: "Requests the forwarder started (YARP's requests-started event counter).");
        meter.CreateObservableCounter("yarp.proxy.requests.failed", () => Volatile.Read(ref _failed), unit: "{request}", description: "Forwarded requests that failed: upstream unreachable, timed out, reset, or the client gone (YARP's requests-failed).");
        meter.CreateObservableUpDownCounter("yarp.proxy.current_requests", () => Volatile.Read(ref _current), unit: "{request}", description: "Requests being forwarded now (YARP's current-requests).");
    }

    // A hosted service only so that the host creates it at start (nothing else asks for it).
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Called from the base constructor for sources that already exist, so it touches no field of this class.
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == SourceName)
        {
            EnableEvents(eventSource, EventLevel.Critical, EventKeywords.None, new Dictionary<string, string?>
            {
                ["EventCounterIntervalSec"] = IntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName != "EventCounters" || eventData.Payload is not [IDictionary<string, object?> counter, ..] ||
            !counter.TryGetValue("Name", out var named) || named is not string name ||
            !counter.TryGetValue("Mean", out var mean) || mean is not double value)
        {
            return;
        }

        switch (name)
        {
            case "requests-started":
                Volatile.Write(ref _started, (long)value);
                break;
            case "requests-failed":
                Volatile.Write(ref _failed, (long)value);
                break;
            case "current-requests":
                Volatile.Write(ref _current, (long)value);
                break;
        }
    }
}
