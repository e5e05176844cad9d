using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// Probes and scrapes on the management port are not traffic: they leave no <c>http.server.request.duration</c>
/// measurement and, with traces exported, no span (nor a store-ping span under it); traffic is still measured and traced.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ManagementTelemetryTests
{
    [Fact]
    public async Task ProbesAndScrapes_AreNeitherMeasuredNorTraced_TrafficIs()
    {
        using var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{Upstream.FreePort()}"] });
        receiver.Given(Request.Create().WithPath("/v1/traces", "/v1/metrics", "/v1/logs").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200));
        var managementPort = Upstream.FreePort();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraArgs =
            [
                $"--Session:Management:Urls=http://127.0.0.1:{managementPort}",
                "--Session:Management:DrainDelay=0s",
                "--OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.Url,
                "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
                "--OTEL_BSP_SCHEDULE_DELAY=100",
                "--OTEL_METRICS_EXPORTER=none",
                "--OTEL_LOGS_EXPORTER=none",
            ],
        });
        using var recorder = new MetricRecorder(harness.Gateway.Services.GetRequiredService<IMeterFactory>());
        var management = new Uri($"http://127.0.0.1:{managementPort}");

        // Over a socket: an HttpClient in this process would make client spans of its own, which the gateway's tracer
        // provider (in this process too) would export.
        async Task<int> Probe(string path) =>
            (await RawClient.SendAsync(management, $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).Status;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, await Probe("/healthz"));
            Assert.Equal(200, await Probe("/readyz"));
            Assert.Equal(200, await Probe("/metrics"));
            Assert.Equal(404, await Probe("/nothing-here"));
        }

        // Then one traffic request (401: no session), whose duration and span come after the probes'.
        Assert.Equal(HttpStatusCode.Unauthorized, (await harness.NewClient(TokenMode.Cookie).GetAsync("/api/after-the-probes")).StatusCode);
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(recorder.Measurements.Any(m => m.Instrument == "http.server.request.duration" && m.Tags.Any(t => t.Key == "http.response.status_code" && Equals(t.Value, 401)))),
            "the traffic request's duration was measured");
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(Bodies(receiver).Contains("/api/after-the-probes", StringComparison.Ordinal)),
            "the traffic request's span was exported",
            TimeSpan.FromSeconds(20));

        var durations = recorder.Measurements.Where(m => m.Instrument == "http.server.request.duration").ToList();
        Assert.All(durations, m => Assert.Contains(m.Tags, t => t.Key == "http.route"));
        Assert.Single(durations);
        var traces = Bodies(receiver);
        foreach (var probe in new[] { "/healthz", "/readyz", "/metrics", "/nothing-here", "sessiongateway.store.ping" })
        {
            Assert.DoesNotContain(probe, traces, StringComparison.Ordinal);
        }

        // The readiness check's store call is still timed.
        Assert.Contains(recorder.Measurements, m => m.Instrument == "sessiongateway.store.duration" && m.Tags.Any(t => t.Key == "operation" && Equals(t.Value, "ping")));
    }

    private static string Bodies(WireMockServer receiver) => string.Concat(receiver.LogEntries
        .Where(e => e.RequestMessage.Path == "/v1/traces" && e.RequestMessage.BodyAsBytes is not null)
        .Select(e => Encoding.UTF8.GetString(e.RequestMessage.BodyAsBytes!)));
}
