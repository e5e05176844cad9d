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

        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        var bob = await harness.LoginAsync(TokenMode.Header, "bob");
        var carol = await harness.LoginAsync(TokenMode.Cookie, "carol");
        var secrets = new List<string> { "alice", "bob", "carol", alice.AccessToken!, alice.RefreshToken!, bob.AccessToken!, bob.RefreshToken! };
        secrets.AddRange(new[] { alice, bob, carol }.Select(c => c.FrontToken!.Up.GetProperty("sessionHandle").GetString()!));

        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/x")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await harness.NewClient(TokenMode.Cookie).GetAsync("/api/x")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/admin/x")).StatusCode);
        var tampered = bob.AccessToken![..^2] + (bob.AccessToken[^2] == 'A' ? "BA" : "AA");
        Assert.Equal(440, (int)(await bob.SendAsync(HttpMethod.Get, "/api/x", tampered)).StatusCode);

        // A rotation, a retry of the previous token within the grace period, the same token after it: theft.
        var stolen = alice.RefreshToken!;
        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync()).StatusCode);
        var thief = harness.NewClient(TokenMode.Cookie);
        Assert.Equal(HttpStatusCode.OK, (await thief.RefreshAsync(stolen)).StatusCode);
        harness.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(440, (int)(await thief.RefreshAsync(stolen)).StatusCode);
        Assert.Equal(440, (int)(await harness.NewClient(TokenMode.Cookie).RefreshAsync("not-a-token")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await carol.SignOutAsync()).StatusCode);

        // bob's access token outlives its minute: the session-expired status.
        harness.Clock.Advance(SessionHarness.AccessTokenLifetime);
        Assert.Equal(440, (int)(await bob.GetAsync("/api/x")).StatusCode);

        var file = harness.Gateway.ConfigFile!;
        await File.AppendAllTextAsync(file.Path, "\n# an edit\n");
        Assert.Empty(file.Reload());
        await File.WriteAllTextAsync(file.Path, "Session: [broken\n");
        Assert.NotEmpty(file.Reload());

        Assert.Equal(3, recorder.Sum("sessiongateway.sessions.created"));
        // Public routes: the three logins and the four refreshes without an access token (the gateway's own endpoints
        // are public routes); the sign-out carried carol's valid one.
        Assert.Equal(7, recorder.Sum("sessiongateway.auth.decisions", "outcome", "anonymous"));
        Assert.Equal(3, recorder.Sum("sessiongateway.auth.decisions", "outcome", "valid"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "missing"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "forbidden"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "invalid"));
        Assert.Equal(1, recorder.Sum("sessiongateway.auth.decisions", "outcome", "expired"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "success"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "grace"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "theft"));
        Assert.Equal(1, recorder.Sum("sessiongateway.refresh.outcomes", "outcome", "unauthorised"));
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
