using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.IntegrationTests.Webhooks;

namespace SessionGateway.IntegrationTests.Management;

/// <summary>
/// What a Prometheus server really reads from the management listener's <c>/metrics</c> (OpenTelemetry's exporter
/// over real Kestrel): every series the issue's contract and the Grafana dashboard name, with their label values,
/// after the traffic that makes them. In process, for the fake clock an expired access token needs (and a webhook's
/// retry waits on).
/// </summary>
public sealed partial class PrometheusScrapeTests
{
    [Fact]
    public async Task Metrics_AfterLoginRefreshTheftExpiryForbiddenStoreOutageSignOutAndReloads_ScrapeHasEveryContractSeriesAndEveryDashboardMetric()
    {
        var managementPort = LoopbackPorts.Free();
        // A webhook receiver, so that the theft below (Session:Webhooks:Events' default) is sent for real: refused once
        // (failed, retried a second later), then taken (delivered).
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = n => Task.FromResult(n == 0 ? 503 : 204);
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraSessionYaml = $"  Management:\n    Urls: http://127.0.0.1:{managementPort}\n    DrainDelay: 0s\n  Webhooks:\n    Url: {receiver.Url}\n    Secret: {receiver.Secret}",
        });
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}/") };
        var webhookOutcomes = new ConcurrentDictionary<string, long>();
        using var webhookListener = ListenToWebhookOutcomes(harness, webhookOutcomes);

        await EveryOutcomeTraffic.RunAsync(harness);
        await WebhookFailedThenDeliveredAsync(harness, receiver, webhookOutcomes);

        var file = harness.Gateway.ConfigFile!;
        await File.AppendAllTextAsync(file.Path, "\n# an edit\n");
        Assert.Empty(file.Reload());
        await File.WriteAllTextAsync(file.Path, "Session: [broken\n");
        Assert.NotEmpty(file.Reload());

        using var scrape = await management.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var text = await scrape.Content.ReadAsStringAsync();
        var series = Series(text);

        // The contract (issue 10), as the exporter spells it, with the label values the dashboard groups by.
        foreach (var outcome in new[] { "valid", "expired", "missing", "invalid", "forbidden", "anonymous" })
        {
            AssertSeries(series, "sessiongateway_auth_decisions_total", $"outcome=\"{outcome}\"", text);
        }

        foreach (var outcome in new[] { "success", "grace", "unauthorised", "theft", "store_unavailable" })
        {
            AssertSeries(series, "sessiongateway_refresh_outcomes_total", $"outcome=\"{outcome}\"", text);
        }

        AssertSeries(series, "sessiongateway_token_theft_total", "kind=\"PreviousAfterGrace\"", text);
        AssertSeries(series, "sessiongateway_sessions_created_total", null, text);
        AssertSeries(series, "sessiongateway_signouts_total", null, text);
        AssertSeries(series, "sessiongateway_verify_cache_hits_total", null, text);
        AssertSeries(series, "sessiongateway_verify_cache_misses_total", null, text);
        foreach (var operation in new[] { "create", "rotate", "find", "revoke" })
        {
            AssertSeries(series, "sessiongateway_store_duration_seconds_bucket", $"operation=\"{operation}\"", text);
        }

        AssertSeries(series, "sessiongateway_store_duration_seconds_count", "operation=\"find\"", text);
        AssertSeries(series, "sessiongateway_config_reloads_total", "result=\"applied\"", text);
        AssertSeries(series, "sessiongateway_config_reloads_total", "result=\"rejected\"", text);
        AssertSeries(series, "sessiongateway_webhooks_deliveries_total", "outcome=\"failed\"", text);
        AssertSeries(series, "sessiongateway_webhooks_deliveries_total", "outcome=\"delivered\"", text);

        // The framework meters: ASP.NET Core, Kestrel, the .NET runtime, and the forwarder's HttpClient.
        AssertSeries(series, "http_server_request_duration_seconds_bucket", "http_response_status_code=\"440\"", text);
        Assert.Contains(series, s => s.Name.StartsWith("kestrel_", StringComparison.Ordinal));
        Assert.Contains(series, s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.Contains(series, s => s.Name.StartsWith("http_client_", StringComparison.Ordinal));

        // Every metric the shipped dashboard queries is in the scrape.
        var dashboardMetrics = DashboardMetrics();
        Assert.NotEmpty(dashboardMetrics);
        foreach (var metric in dashboardMetrics)
        {
            Assert.True(series.Any(s => s.Name == metric), $"the dashboard queries {metric}, which the scrape does not have:\n{text}");
        }
    }

    /// <summary>
    /// The traffic port: none of these spellings of the management paths is the gateway's own; with a session they go
    /// where any other path goes (the catch-all route, to the app), without one they need a session.
    /// </summary>
    [Theory]
    [InlineData("/metrics")]
    [InlineData("/metrics/")]
    [InlineData("/METRICS")]
    [InlineData("/%6Detrics")]
    [InlineData("//metrics")]
    [InlineData("/healthz")]
    [InlineData("/readyz?x=1")]
    [InlineData("/READYZ")]
    public async Task TrafficPort_ManagementPathSpellings_AreNeverAnsweredByTheGateway(string target)
    {
        var managementPort = LoopbackPorts.Free();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraSessionYaml = $"  Management:\n    Urls: http://127.0.0.1:{managementPort}\n    DrainDelay: 0s",
        });
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");

        var anonymous = await RawClient.GetAsync(harness.Gateway.Address, target);
        var forwardedBefore = harness.Upstream.LogEntries.Count;
        var withSession = await RawClient.GetAsync(harness.Gateway.Address, target, "Cookie: sAccessToken=" + alice.AccessToken);

        Assert.True(anonymous.Status == 401, $"{target} without a session: {anonymous.Status} {anonymous.Body}");
        Assert.True(withSession.Status == 200, $"{target} with a session: {withSession.Status} {withSession.Body}");
        Assert.Equal(forwardedBefore + 1, harness.Upstream.LogEntries.Count);
        Assert.DoesNotContain("# TYPE", anonymous.Body + withSession.Body, StringComparison.Ordinal);
    }

    /// <summary>
    /// The theft's webhook: its first attempt refused (503), its retry waits one second on the fake clock, which this
    /// moves on until the sender has counted the delivery. The count is read in process (a listener on this gateway's
    /// own meters), not from /metrics: the exporter answers a scrape within 300 ms of another from its cache, and the
    /// test's final scrape must see everything.
    /// </summary>
    private static async Task WebhookFailedThenDeliveredAsync(SessionHarness harness, WebhookReceiver receiver, ConcurrentDictionary<string, long> outcomes)
    {
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!outcomes.ContainsKey("delivered") && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            harness.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        Assert.True(outcomes.ContainsKey("delivered"), $"the webhook was not delivered within 30 s ({receiver.Requests.Count} attempt(s) received; outcomes: {string.Join(", ", outcomes)})");
        Assert.True(receiver.Requests.Count >= 2, $"{receiver.Requests.Count} attempt(s) received");
    }

    /// <summary>The webhook attempts this gateway counts, by outcome (its own IMeterFactory's meters only: other tests run in this process).</summary>
    private static MeterListener ListenToWebhookOutcomes(SessionHarness harness, ConcurrentDictionary<string, long> outcomes)
    {
        var factory = harness.Gateway.Services.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instrument.Name == "sessiongateway.webhooks.deliveries" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    self.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && tag.Value is string outcome)
                {
                    outcomes.AddOrUpdate(outcome, value, (_, total) => total + value);
                }
            }
        });
        listener.Start();
        return listener;
    }

    private static void AssertSeries(List<(string Name, string Labels)> series, string name, string? label, string text) =>
        Assert.True(
            series.Any(s => s.Name == name && (label is null || s.Labels.Contains(label, StringComparison.Ordinal))),
            $"no series {name}{(label is null ? "" : "{" + label + "}")} in the scrape:\n{text}");

    /// <summary>Each sample line's metric name and label set.</summary>
    private static List<(string Name, string Labels)> Series(string exposition) =>
        exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => SampleLine().Match(line))
            .Where(match => match.Success)
            .Select(match => (match.Groups["name"].Value, match.Groups["labels"].Value))
            .ToList();

    /// <summary>The metric names in every query (<c>expr</c>) of deploy/grafana/*.json.</summary>
    private static HashSet<string> DashboardMetrics()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SessionGateway.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }

        var metrics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(Path.Combine(root, "deploy", "grafana"), "*.json"))
        {
            using var dashboard = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var expression in Expressions(dashboard.RootElement))
            {
                foreach (Match match in MetricInQuery().Matches(expression))
                {
                    metrics.Add(match.Groups["name"].Value);
                }
            }
        }

        return metrics;
    }

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                {
                    yield return property.Value.GetString()!;
                }

                foreach (var inner in Expressions(property.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in Expressions(item))
                {
                    yield return inner;
                }
            }
        }
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s")]
    private static partial Regex SampleLine();

    // A series selector in PromQL: a metric name followed by its label matchers.
    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{")]
    private static partial Regex MetricInQuery();
}
