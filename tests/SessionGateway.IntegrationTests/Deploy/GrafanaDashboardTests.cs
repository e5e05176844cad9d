using System.Text.Json;
using System.Text.RegularExpressions;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// deploy/grafana: the dashboard is valid JSON, its queries name only metrics the gateway exports (the contract's
/// instruments as OpenTelemetry's Prometheus exporter names them, and the framework meters), it covers each of the
/// contract's instruments, and it takes its data source from a variable, never a hard-coded uid.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    /// <summary>
    /// The contract's instruments in Prometheus text: dots become underscores, counters end in <c>_total</c>, and the
    /// store.duration histogram (unit s) is <c>_seconds_bucket</c>, <c>_sum</c>, <c>_count</c>.
    /// </summary>
    private static readonly string[] ContractMetrics =
    [
        "sessiongateway_auth_decisions_total",
        "sessiongateway_refresh_outcomes_total",
        "sessiongateway_token_theft_total",
        "sessiongateway_sessions_created_total",
        "sessiongateway_signouts_total",
        "sessiongateway_verify_cache_hits_total",
        "sessiongateway_verify_cache_misses_total",
        "sessiongateway_store_duration_seconds_bucket",
        "sessiongateway_store_duration_seconds_sum",
        "sessiongateway_store_duration_seconds_count",
        "sessiongateway_config_reloads_total",
        "sessiongateway_webhooks_deliveries_total",
    ];

    /// <summary>The framework meters the gateway registers (ASP.NET Core, Kestrel, HttpClient, .NET runtime), by prefix.</summary>
    private static readonly string[] FrameworkPrefixes = ["http_server_", "http_client_", "kestrel_", "aspnetcore_", "dotnet_"];

    private static readonly HashSet<string> PromQlWords = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "le", "inf", "nan"];

    private static readonly string DashboardPath = RepositoryFiles.PathOf("deploy", "grafana", "session-gateway.json");

    [Fact]
    public void Queries_NameOnlyExportedMetrics_AndCoverTheContract()
    {
        var queries = Queries(Load()).ToList();
        var named = queries.SelectMany(MetricNames).ToHashSet(StringComparer.Ordinal);

        var unknown = named.Where(m => !ContractMetrics.Contains(m) && !FrameworkPrefixes.Any(p => m.StartsWith(p, StringComparison.Ordinal))).ToList();
        Assert.True(unknown.Count == 0, "metrics the gateway does not export: " + string.Join(", ", unknown));

        var missing = ContractMetrics.Where(m => !m.EndsWith("_sum", StringComparison.Ordinal) && !named.Contains(m)).ToList();
        Assert.True(missing.Count == 0, "contract metrics without a panel: " + string.Join(", ", missing));
        Assert.Contains("http_server_request_duration_seconds_bucket", named);
        Assert.Contains("http_server_request_duration_seconds_count", named);
    }

    [Fact]
    public void Queries_UseQuantilesOfTheStoreHistogramByOperation_AndTheCacheHitRatio()
    {
        var queries = Queries(Load()).ToList();

        Assert.Contains(queries, q => q.Contains("histogram_quantile(0.5, sum by (le, operation) (rate(sessiongateway_store_duration_seconds_bucket", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("histogram_quantile(0.99, sum by (le, operation) (rate(sessiongateway_store_duration_seconds_bucket", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("sessiongateway_verify_cache_hits_total", StringComparison.Ordinal) && q.Contains("sessiongateway_verify_cache_misses_total", StringComparison.Ordinal) && q.Contains(" / ", StringComparison.Ordinal));
    }

    [Fact]
    public void DataSource_IsAVariable_NeverAHardCodedUid()
    {
        var dashboard = Load();
        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        Assert.Contains(variables, v => v.GetProperty("type").GetString() == "datasource" && v.GetProperty("name").GetString() == "datasource" && v.GetProperty("query").GetString() == "prometheus");

        var uids = Objects(dashboard)
            .Where(o => o.TryGetProperty("datasource", out var d) && d.ValueKind == JsonValueKind.Object)
            .Select(o => o.GetProperty("datasource").GetProperty("uid").GetString())
            .ToList();
        Assert.NotEmpty(uids);
        Assert.All(uids, uid => Assert.Equal("${datasource}", uid));
        Assert.DoesNotContain(Objects(dashboard), o => o.TryGetProperty("datasource", out var d) && d.ValueKind == JsonValueKind.String);
    }

    /// <summary>The metric-name reading finds names in the shapes the dashboard uses, and nothing else.</summary>
    [Fact]
    public void MetricNames_ReadsNamesNotLabelsFunctionsOrStrings()
    {
        var names = MetricNames("""histogram_quantile(0.99, sum by (le, operation) (rate(a_bucket{job=~"$job", x="b_total"}[$__rate_interval]))) / ignoring(y) c_total offset 5m""")
            .Concat(MetricNames("""label_values(d_total{job=~"$job"}, instance)"""));

        Assert.Equal(["a_bucket", "c_total", "d_total"], names.Order(StringComparer.Ordinal));
    }

    private static JsonElement Load() => JsonDocument.Parse(File.ReadAllText(DashboardPath)).RootElement.Clone();

    private static IEnumerable<JsonElement> Objects(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var inner in element.EnumerateObject().SelectMany(p => Objects(p.Value)))
            {
                yield return inner;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var inner in element.EnumerateArray().SelectMany(Objects))
            {
                yield return inner;
            }
        }
    }

    /// <summary>Every PromQL text: panel targets' <c>expr</c> and template variables' queries.</summary>
    private static IEnumerable<string> Queries(JsonElement dashboard) =>
        Objects(dashboard).SelectMany(o => o.EnumerateObject())
            .Where(p => p.Value.ValueKind == JsonValueKind.String && p.Name is "expr" or "definition")
            .Select(p => p.Value.GetString()!);

    private static IEnumerable<string> MetricNames(string promQl)
    {
        // Grafana's label_values(metric, label) in a variable's query: the metric is the first argument, the label is no metric.
        var text = LabelValues().Replace(promQl, "$1");
        text = StringLiteral().Replace(text, "\"\"");
        text = Braces().Replace(text, "");
        text = Brackets().Replace(text, "");
        text = Grouping().Replace(text, " ");
        text = Offset().Replace(text, " ");
        return Identifier().Matches(text)
            .Where(m => !text[(m.Index + m.Length)..].TrimStart().StartsWith('(') && !PromQlWords.Contains(m.Value.ToLowerInvariant()))
            .Where(m => m.Index == 0 || text[m.Index - 1] != '$')
            .Select(m => m.Value)
            .Distinct();
    }

    [GeneratedRegex(@"label_values\(([^,]*),\s*\w+\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\boffset\s+\S+")]
    private static partial Regex Offset();

    [GeneratedRegex(@"[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
