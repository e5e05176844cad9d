using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>The <c>SessionGateway</c> meter of the running gateway: the instrument names and attribute values, and no identity in them.</summary>
public sealed class MetricsTests
{
    /// <summary>A request that matches no route (a scanner's) is refused but no decision of a route: it does not inflate <c>missing</c>.</summary>
    [Fact]
    public async Task AuthDecisions_RequestMatchingNoRoute_IsNotCounted()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(
            $$"""
            ReverseProxy:
              Routes:
                api:
                  ClusterId: app
                  Match:
                    Path: /api/{**rest}
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: {{upstream.Url()}}
            """);
        using var recorder = new MetricRecorder(gateway.Services.GetRequiredService<IMeterFactory>());

        var unrouted = await gateway.StatusOfAsync("/wp-login.php");
        var routed = await gateway.StatusOfAsync("/api/x");

        Assert.Equal(HttpStatusCode.Unauthorized, unrouted);
        Assert.Equal(HttpStatusCode.Unauthorized, routed);
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "missing"));
    }

    [Fact]
    public async Task Metrics_AfterLoginRefreshTheftAndExpiry_CountEveryOutcomeWithFixedAttributesOnly()
    {
        await using var harness = await SessionHarness.StartAsync();
        using var recorder = new MetricRecorder(harness.Gateway.Services.GetRequiredService<IMeterFactory>());

        var secrets = await EveryOutcomeTraffic.RunAsync(harness);

        var file = harness.Gateway.ConfigFile!;
        await File.AppendAllTextAsync(file.Path, "\n# an edit\n");
        Assert.Empty(file.Reload());
        await File.WriteAllTextAsync(file.Path, "Session: [broken\n");
        Assert.NotEmpty(file.Reload());

        Assert.Equal(3, recorder.Sum("sessiongateway.sessions.created"));
        // Public routes: the three logins and the five refreshes without an access token (the gateway's own endpoints
        // are public routes); the sign-out carried carol's valid one.
        Assert.Equal(8, recorder.Sum("sessiongateway.auth.decisions", "outcome", "anonymous"));
        Assert.Equal(3, recorder.Sum("sessiongateway.auth.decisions", "outcome", "valid"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "missing"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "forbidden"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "invalid"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "expired"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "success"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "grace"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "theft"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "unauthorised"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "store_unavailable"));
        Assert.Equal(1, recorder.Sum("sessiongateway.token_theft", "kind", "PreviousAfterGrace"));
        Assert.Equal(1, recorder.Sum("sessiongateway.signouts"));
        Assert.True(recorder.Sum("sessiongateway.verify_cache.hits") >= 1);
        Assert.True(recorder.Sum("sessiongateway.verify_cache.misses") >= 1);
        Assert.Equal(1, recorder.Sum("sessiongateway.config.reloads", "result", "applied"));
        Assert.True(recorder.Sum("sessiongateway.config.reloads", "result", "rejected") >= 1);
        foreach (var operation in new[] { "create", "rotate", "find", "revoke" })
        {
            Assert.Contains(recorder.Measurements, m => m.Instrument == "sessiongateway.store.duration" && m.Tags.Single().Value as string == operation);
        }

        // Each instrument carries only its one documented attribute (or none), never a user id, handle or token.
        var allowed = new Dictionary<string, string?>
        {
            ["sessiongateway.auth.decisions"] = "outcome",
            ["sessiongateway.refresh.outcomes"] = "outcome",
            ["sessiongateway.token_theft"] = "kind",
            ["sessiongateway.sessions.created"] = null,
            ["sessiongateway.signouts"] = null,
            ["sessiongateway.verify_cache.hits"] = null,
            ["sessiongateway.verify_cache.misses"] = null,
            ["sessiongateway.store.duration"] = "operation",
            ["sessiongateway.config.reloads"] = "result",
        };
        foreach (var measurement in recorder.Measurements.Where(m => m.Meter == "SessionGateway"))
        {
            Assert.True(allowed.TryGetValue(measurement.Instrument, out var key), "unexpected instrument " + measurement.Instrument);
            Assert.Equal(key is null ? [] : [key], measurement.Tags.Select(t => t.Key).ToArray());
            foreach (var tag in measurement.Tags)
            {
                var text = tag.Value?.ToString() ?? "";
                Assert.DoesNotContain(secrets, secret => text.Contains(secret, StringComparison.Ordinal));
            }
        }
    }
}
