using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.IntegrationTests.ScaleOut;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Management;

/// <summary>
/// The built gateway as a process with <c>Session:Management:Urls</c>: probes and metrics on the management port and
/// only there; readiness follows the store; SIGTERM drains. In the gateway-process collection (one at a time).
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class ManagementListenerProcessTests(ITestOutputHelper output) : IAsyncDisposable
{
    private readonly WireMockServer _upstream = StartUpstream();
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-mgmt-").FullName;
    private readonly List<GatewayProcess> _gateways = [];

    [Fact]
    public async Task ManagementPort_AnswersOnlyProbesAndMetrics_TrafficPortAnswersNoneOfThem()
    {
        _upstream.Given(Request.Create().WithPath("/metrics")).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("the app's own metrics"));
        _upstream.Given(Request.Create().WithPath("/login/mia").UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("X-Session-Create", "mia"));
        var (gateway, management) = await StartAsync("""
                app-metrics:
                  ClusterId: app
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /metrics
            """);

        // A theft, so the gateway's own meter has something to show.
        var client = new SessionClient(gateway.Client, TokenMode.Header);
        using (var login = await client.LoginAsync("/login/mia"))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.NotNull(client.RefreshToken);
        }

        var first = client.RefreshToken;
        for (var i = 0; i < 2; i++)
        {
            using var refresh = await client.RefreshAsync();
            Assert.True(refresh.StatusCode == HttpStatusCode.OK, $"refresh {i}: {(int)refresh.StatusCode} {await refresh.Content.ReadAsStringAsync()}\n{gateway.OutputTail(20)}");
        }

        using (var theft = await client.RefreshAsync(first))
        {
            await Wire.AssertJsonAsync(theft, 440, """{"message":"token theft detected"}""");
        }

        var (healthStatus, health) = await GetAsync(management, "/healthz");
        Assert.Equal((HttpStatusCode.OK, """{"status":"alive"}"""), (healthStatus, health));
        var (readyStatus, ready) = await GetAsync(management, "/readyz");
        Assert.Equal((HttpStatusCode.OK, """{"status":"ready"}"""), (readyStatus, ready));
        var (metricsStatus, metrics) = await GetAsync(management, "/metrics");
        Assert.Equal(HttpStatusCode.OK, metricsStatus);
        Assert.Contains("sessiongateway_token_theft_total{", metrics, StringComparison.Ordinal);

        // Nothing else on the management port: no session endpoints, nothing forwarded.
        var forwardedBefore = _upstream.LogEntries.Count;
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/"), (HttpMethod.Get, "/login/mia"), (HttpMethod.Post, "/login/mia"), (HttpMethod.Post, "/api/refresh"),
            (HttpMethod.Post, "/api/signout"), (HttpMethod.Get, "/.well-known/jwks.json"), (HttpMethod.Get, "/metrics/x"),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            using var response = await management.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} on the management port: {(int)response.StatusCode}");
        }

        using (var post = await management.PostAsync("/readyz", content: null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }

        Assert.Equal(forwardedBefore, _upstream.LogEntries.Count);

        // On the traffic port the probes are nobody's: no route, so a session is required (401), never a 200.
        foreach (var path in new[] { "/healthz", "/readyz" })
        {
            var (status, _) = await GetAsync(gateway.Client, path);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }

        // ...and a route that sends /metrics to the app reaches the app, not the gateway's exporter.
        var (appStatus, appMetrics) = await GetAsync(gateway.Client, "/metrics");
        Assert.Equal((HttpStatusCode.OK, "the app's own metrics"), (appStatus, appMetrics));
        Assert.Equal("/metrics", _upstream.LastRequest().RequestMessage.Path);
    }

    /// <summary>WireMock answering 200 to anything; a test's own mappings (priority 1) come first.</summary>
    private static WireMockServer StartUpstream()
    {
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        return upstream;
    }

    private async Task<(GatewayProcess Gateway, HttpClient Management)> StartAsync(string routes, string session = "", IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = LoopbackPorts.Free();
        var path = Path.Combine(_directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, Yaml(port, routes, session, _upstream.Url()));
        var gateway = await GatewayProcess.StartAsync("M", path, environment);
        _gateways.Add(gateway);
        var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        return (gateway, management);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A management listener on <paramref name="managementPort"/> (the traffic port comes from the command line).
    /// <paramref name="routes"/> are written at the indentation of a route name (4), <paramref name="session"/> at that
    /// of a key under Session (2).
    /// </summary>
    private static string Yaml(int managementPort, string routes, string session, string upstreamUrl) => $$"""
        Logging:
          LogLevel:
            Default: Warning
            SessionGateway.Management: Information
          Console:
            FormatterName: simple
            FormatterOptions:
              SingleLine: true
              TimestampFormat: "HH:mm:ss.fff "
        Session:
          Management:
            Urls: http://127.0.0.1:{{managementPort}}
            DrainDelay: 0s
          RateLimits:
            Refresh:
              Enabled: false
            Login:
              Enabled: false
        {{session}}
        ReverseProxy:
          Routes:
            login:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Metadata:
                SessionLogin: "true"
              Match:
                Path: /login/{**rest}
            api:
              ClusterId: app
              AuthorizationPolicy: default
              Match:
                Path: /api/{**rest}
        {{routes}}
          Clusters:
            app:
              Destinations:
                one:
                  Address: {{upstreamUrl}}
        """;

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            output.WriteLine($"--- gateway output (last lines)\n{gateway.OutputTail(40)}");
            await gateway.DisposeAsync();
        }

        _upstream.Stop();
        _upstream.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans its temp folder.
        }
    }
}
