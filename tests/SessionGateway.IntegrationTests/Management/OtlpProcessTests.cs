using System.Diagnostics;
using System.Net;
using System.Text;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.IntegrationTests.ScaleOut;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Management;

/// <summary>
/// OTLP export as an operator turns it on: the standard <c>OTEL_*</c> variables in the gateway process's environment
/// (a Kubernetes container's <c>env</c>), not on its command line, with a receiver started by the test. In the
/// gateway-process collection (one at a time).
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class OtlpProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly WireMockServer _receiver = StartReceiver();
    private readonly WireMockServer _upstream = StartUpstream();
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-otlp-").FullName;
    private GatewayProcess? _gateway;

    [Fact]
    public async Task OtelVariablesInTheEnvironment_ExportTracesAndMetricsOfTheSessionWork_ToTheReceiver_WithoutTokens()
    {
        var config = Path.Combine(_directory, "proxy.yaml");
        await File.WriteAllTextAsync(config, $$"""
            Logging:
              LogLevel:
                Default: Warning
                SessionGateway: Information
            Session:
              RateLimits:
                Refresh:
                  Enabled: false
                Login:
                  Enabled: false
            {{Upstream.LoginAndApiYaml(_upstream.Url!)}}
            """);
        _gateway = await GatewayProcess.StartAsync("otlp", config, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _receiver.Url!,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "gateway-process-under-test",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
        });

        var mia = new SessionClient(_gateway.Client, TokenMode.Header);
        Assert.Equal(HttpStatusCode.OK, (await mia.LoginAsync("/login/mia")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync("/api/x")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mia.RefreshAsync()).StatusCode);
        var tokens = new[] { mia.AccessToken!, mia.RefreshToken! };

        var clock = Stopwatch.StartNew();
        var received = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), () => Task.FromResult(
            Bodies("/v1/traces").Contains("sessiongateway.refresh", StringComparison.Ordinal) &&
            Bodies("/v1/metrics").Contains("sessiongateway.refresh.outcomes", StringComparison.Ordinal)));
        Assert.True(received is not null, $"the receiver got no refresh span and counter within 20 s ({_receiver.LogEntries.Count} posts)\n{_gateway.OutputTail(20)}");
        output.WriteLine($"refresh span and counter received {received!.Value.TotalMilliseconds:0} ms after the refresh");

        var traces = Bodies("/v1/traces");
        foreach (var name in new[] { "gateway-process-under-test", "sessiongateway.login", "sessiongateway.authenticate", "sessiongateway.refresh", "sessiongateway.store.create", "sessiongateway.store.rotate" })
        {
            Assert.Contains(name, traces, StringComparison.Ordinal);
        }

        var metrics = Bodies("/v1/metrics");
        foreach (var name in new[] { "gateway-process-under-test", "sessiongateway.auth.decisions", "sessiongateway.sessions.created", "sessiongateway.store.duration", "http.server.request.duration" })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }

        Assert.Equal(0, await _gateway.StopAsync());
        var everything = traces + metrics + Bodies("/v1/logs");
        Assert.DoesNotContain(tokens, token => everything.Contains(token, StringComparison.Ordinal));
    }

    private string Bodies(string path) => string.Concat(_receiver.LogEntries
        .Where(e => e.RequestMessage.Path == path && e.RequestMessage.BodyAsBytes is not null)
        .Select(e => Encoding.UTF8.GetString(e.RequestMessage.BodyAsBytes!)));

    private static WireMockServer StartReceiver()
    {
        var receiver = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        receiver.Given(Request.Create().WithPath("/v1/traces", "/v1/metrics", "/v1/logs").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200));
        return receiver;
    }

    private static WireMockServer StartUpstream()
    {
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        upstream.Given(Request.Create().WithPath("/login/mia").UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("X-Session-Create", "mia"));
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        return upstream;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime: xUnit 2 does not dispose a test class through IAsyncDisposable.
    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            output.WriteLine($"--- gateway output (last lines)\n{_gateway.OutputTail(40)}");
            await _gateway.DisposeAsync();
        }

        foreach (var server in new[] { _receiver, _upstream })
        {
            server.Stop();
            server.Dispose();
        }

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
