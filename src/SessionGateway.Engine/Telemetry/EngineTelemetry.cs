using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionGateway.Telemetry;

/// <summary>
/// The engine's instruments on the <c>SessionGateway</c> meter and its spans on the <c>SessionGateway</c> activity
/// source (the gateway's own instruments share both names). Attributes are fixed, low-cardinality values: never a
/// user id, a session handle or a token.
/// </summary>
internal sealed class EngineTelemetry
{
    /// <summary>The name of the meter and of the activity source, for OpenTelemetry's <c>AddMeter</c>/<c>AddSource</c>.</summary>
    public const string Name = "SessionGateway";

    /// <summary>
    /// The engine's spans. A started activity exists only when a listener samples it (a tracing provider is registered
    /// only when OTLP export is configured), so <c>StartActivity</c> is a null check otherwise.
    /// </summary>
    public static readonly ActivitySource Source = new(Name);

    private static EngineTelemetry? _unregistered;

    public EngineTelemetry(IMeterFactory? meterFactory)
    {
        // Without a factory (an engine built by hand, as in unit tests), a meter of its own: listeners still see it by name.
        var meter = meterFactory?.Create(Name) ?? new Meter(Name);
        SessionsCreated = meter.CreateCounter<long>("sessiongateway.sessions.created", unit: "{session}", description: "Sessions created at login.");
        VerifyCacheHits = meter.CreateCounter<long>("sessiongateway.verify_cache.hits", unit: "{lookup}", description: "Access-token checks answered by the verification cache (no signature verified).");
        VerifyCacheMisses = meter.CreateCounter<long>("sessiongateway.verify_cache.misses", unit: "{lookup}", description: "Access-token checks that verified a signature (the token was not in the cache).");
        StoreDuration = meter.CreateHistogram(
            "sessiongateway.store.duration",
            unit: "s",
            description: "Duration of session store calls, by operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    /// <summary>For engines built without dependency injection: one shared set of instruments.</summary>
    public static EngineTelemetry Unregistered => _unregistered ??= new EngineTelemetry(null);

    public Counter<long> SessionsCreated { get; }

    public Counter<long> VerifyCacheHits { get; }

    public Counter<long> VerifyCacheMisses { get; }

    /// <summary>Seconds per store call; attribute <c>operation</c> (see <see cref="InstrumentedSessionStore"/>).</summary>
    public Histogram<double> StoreDuration { get; }
}
