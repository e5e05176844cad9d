using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// YARP's forwarding counts (it has EventCounters, no meter) as instruments on the meter <c>Yarp.ReverseProxy</c> and in
/// <c>/metrics</c>. The counts are the process's, and other tests forward in parallel: each assertion is "at least".
/// </summary>
public sealed class YarpCountersTests
{
    [Fact]
    public async Task ProxiedAndFailedRequests_AreCountedOnTheYarpMeter_AndScraped()
    {
        var managementPort = Upstream.FreePort();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraArgs = [$"--Session:Management:Urls=http://127.0.0.1:{managementPort}", "--Session:Management:DrainDelay=0s"],
        });
        await using var deadUpstream = await SessionHarness.StartAsync(new SessionHarnessOptions { UpstreamAddress = $"http://127.0.0.1:{Upstream.FreePort()}/" });
        using var recorder = new MetricRecorder(harness.Gateway.Services.GetRequiredService<IMeterFactory>());

        // The first counter values arrive one interval after the listener enabled YARP's source.
        await TestGateway.WaitUntilAsync(
            () =>
            {
                recorder.Observe();
                return Task.FromResult(recorder.Last("yarp.proxy.requests.started") is not null);
            },
            "the first value of yarp.proxy.requests.started");
        var started = recorder.Last("yarp.proxy.requests.started")!.Value;
        var failed = recorder.Last("yarp.proxy.requests.failed")!.Value;

        Assert.Equal(HttpStatusCode.OK, await harness.Gateway.StatusOfAsync("/public/page"));
        Assert.Equal(HttpStatusCode.BadGateway, await deadUpstream.Gateway.StatusOfAsync("/public/page"));

        await TestGateway.WaitUntilAsync(
            () =>
            {
                recorder.Observe();
                return Task.FromResult(recorder.Last("yarp.proxy.requests.started") >= started + 2 && recorder.Last("yarp.proxy.requests.failed") >= failed + 1);
            },
            "YARP's counters reported both requests and the failure");
        Assert.NotNull(recorder.Last("yarp.proxy.current_requests"));

        // The source is on for its counters only: YARP's per-request events (informational) stay off, so forwarding
        // costs its usual Interlocked increments and no event per request.
        var yarp = Assert.Single(EventSource.GetSources(), source => source.Name == "Yarp.ReverseProxy");
        Assert.True(yarp.IsEnabled());
        Assert.False(yarp.IsEnabled(EventLevel.Informational, EventKeywords.All));

        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}") };
        var scraped = await management.GetStringAsync("/metrics");
        Assert.Contains("yarp_proxy_requests_started_total", scraped, StringComparison.Ordinal);
        Assert.Contains("yarp_proxy_requests_failed_total", scraped, StringComparison.Ordinal);
        Assert.Contains("yarp_proxy_current_requests", scraped, StringComparison.Ordinal);
    }
}
