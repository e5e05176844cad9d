using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Records every measurement of the instruments one gateway created through its own <see cref="IMeterFactory"/>
/// (the meters of gateways other tests run in parallel have another factory and are not seen).
/// </summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MetricRecorder(IMeterFactory gatewayMeters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, gatewayMeters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<Measurement> Measurements { get; } = new();

    /// <summary>The sum of <paramref name="instrument"/>'s measurements whose attribute <paramref name="key"/> is <paramref name="value"/>.</summary>
    public double Sum(string instrument, string? key = null, string? value = null) => Measurements
        .Where(m => m.Instrument == instrument && (key is null || m.Tags.Any(t => t.Key == key && Equals(t.Value, value))))
        .Sum(m => m.Value);

    /// <summary>Takes a measurement of every observable instrument (they report only when asked).</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    /// <summary>The last measurement of <paramref name="instrument"/>, or null.</summary>
    public double? Last(string instrument) => Measurements.LastOrDefault(m => m.Instrument == instrument)?.Value;

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        Measurements.Enqueue(new Measurement(instrument.Meter.Name, instrument.Name, value, tags.ToArray()));

    internal sealed record Measurement(string Meter, string Instrument, double Value, KeyValuePair<string, object?>[] Tags);
}
