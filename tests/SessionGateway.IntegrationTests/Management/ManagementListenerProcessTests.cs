using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
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
/// The built gateway as a process with <c>Session:Management:Urls</c>: probes and metrics on the management port and
/// only there; readiness follows the store; SIGTERM drains. In the gateway-process collection (one at a time).
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class ManagementListenerProcessTests(ITestOutputHelper output) : IAsyncLifetime
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

    [Fact]
    public async Task SigTerm_ReadyzTurns503_NewRequestsServedDuringTheDelay_InFlightRequestFinishes_ExitCodeZero()
    {
        // The upstream holds the slow request longer than the drain delay, so it is still in flight when the
        // listeners close, and the test knows the moment it arrived.
        var slowArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.Given(Request.Create().WithPath("/public/slow")).AtPriority(1)
            .RespondWith(Response.Create().WithCallback(_ =>
            {
                slowArrived.TrySetResult();
                Thread.Sleep(TimeSpan.FromSeconds(5));
                return new WireMock.ResponseMessage { StatusCode = 200, BodyData = new WireMock.Util.BodyData { BodyAsString = "slow done", DetectedBodyType = WireMock.Types.BodyType.String } };
            }));
        var (gateway, management) = await StartAsync(
            """
                public:
                  ClusterId: app
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /public/{**rest}
            """,
            drainDelay: "3s");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(management, "/readyz")).Status);

        var slow = gateway.Client.GetAsync("/public/slow");
        await slowArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // StopAsync sends SIGTERM at once and then waits for the exit.
        var exit = gateway.StopAsync();

        // During the drain delay: not ready, yet a new request on a new connection is served.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var unready = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(50), async () =>
            (await GetAsync(management, "/readyz")).Status == HttpStatusCode.ServiceUnavailable);
        Assert.True(unready is not null, "/readyz did not turn 503 after SIGTERM\n" + gateway.OutputTail(20));
        var (_, reason) = await GetAsync(management, "/readyz");
        Assert.Equal("""{"status":"unready","reason":"draining"}""", reason);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(management, "/healthz")).Status);
        using (var fresh = new HttpClient { BaseAddress = gateway.Address })
        {
            var (status, body) = await GetAsync(fresh, "/public/fast");
            Assert.Equal((HttpStatusCode.OK, "upstream ok"), (status, body));
        }

        // The request that was in flight at SIGTERM completes, after the listeners closed.
        using (var response = await slow)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("slow done", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(0, await exit);
        Assert.Contains("[5003]", gateway.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A WebSocket is a request that stays in flight for as long as the client wants: SIGTERM must neither drop it when
    /// the drain delay starts nor when the listeners close; the gateway waits for it (within the shutdown timeout) and
    /// exits 0 once the client closed it.
    /// </summary>
    [Fact]
    public async Task SigTerm_OpenWebSocketKeepsEchoingThroughTheDrainAndAfterTheListenersClose_ClosesNormally_ExitCodeZero()
    {
        await using var echo = await WebSocketEchoUpstream.StartAsync();
        var (gateway, management) = await StartAsync(
            """
                live:
                  ClusterId: echo
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /ws/{**rest}
            """,
            drainDelay: "2s",
            clusters: $"""
                echo:
                  Destinations:
                    one:
                      Address: {echo.Url}
            """,
            shutdownTimeoutSeconds: 15);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using (var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await socket.ConnectAsync(new UriBuilder(gateway.Address) { Scheme = "ws", Path = "/ws/live" }.Uri, connecting.Token);
        }

        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        Assert.Equal("before", await EchoAsync(socket, "before"));

        // StopAsync sends SIGTERM at once and then waits for the exit.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exit = gateway.StopAsync();

        // During the drain delay: not ready, and the open socket still carries messages both ways.
        var unready = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(50), async () =>
            (await GetAsync(management, "/readyz")).Status == HttpStatusCode.ServiceUnavailable);
        Assert.True(unready is not null, "/readyz did not turn 503 after SIGTERM\n" + gateway.OutputTail(20));
        Assert.Equal("during the delay", await EchoAsync(socket, "during the delay"));
        Assert.DoesNotContain("[5004]", gateway.Output, StringComparison.Ordinal);

        // After the delay the listeners close: a new connection to the traffic port is refused...
        var closed = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50), async () =>
            await IsRefusedAsync(gateway.Port));
        Assert.True(closed is not null, "the traffic port still accepted connections 10 s after SIGTERM\n" + gateway.OutputTail(20));
        Assert.True(await gateway.OutputContainsAsync("[5004]", TimeSpan.FromSeconds(5)), "no event 5004 (drain over) though the port closed\n" + gateway.OutputTail(20));
        output.WriteLine($"listeners closed {closed!.Value.TotalMilliseconds:0} ms after SIGTERM");

        // ...yet the socket opened before the stop still echoes, and the process waits for it instead of exiting.
        Assert.Equal("after the listeners closed", await EchoAsync(socket, "after the listeners closed"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal("a second later", await EchoAsync(socket, "a second later"));
        Assert.False(exit.IsCompleted, "the gateway exited with a WebSocket still open\n" + gateway.OutputTail(20));

        // The client ends the conversation; the close handshake goes through, and only then does the gateway exit.
        using (var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", closing.Token);
        }

        Assert.Equal((WebSocketState.Closed, WebSocketCloseStatus.NormalClosure), (socket.State, socket.CloseStatus));
        var closedAt = clock.Elapsed;
        Assert.Equal(0, await exit);
        output.WriteLine($"socket closed {closedAt.TotalMilliseconds:0} ms, process exited {clock.Elapsed.TotalMilliseconds:0} ms after SIGTERM");

        // Well before the 15 s shutdown timeout: the gateway exited because the socket closed, not because time ran out.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the gateway took {clock.Elapsed.TotalSeconds:0.0} s to exit after the last socket closed at {closedAt.TotalSeconds:0.0} s\n" + gateway.OutputTail(20));
    }

    [SkippableFact]
    public async Task PostgresStopped_ReadyzIs503StoreUnavailable_HealthzStays200_ThenReadyAgainWithoutARestart()
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        var (_, management) = await StartAsync(
            routes: "",
            session: "  Store:\n    Provider: Postgres\n    BusyTimeout: 1s\n",
            environment: new Dictionary<string, string> { ["Session__Store__ConnectionString"] = cluster.ConnectionString });
        Assert.Equal((HttpStatusCode.OK, """{"status":"ready"}"""), await GetAsync(management, "/readyz"));

        await cluster.StopAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var down = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), async () =>
            (await GetAsync(management, "/readyz")).Status == HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(down);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, """{"status":"unready","reason":"store unavailable"}"""), await GetAsync(management, "/readyz"));

        // Alive all the while: an outage of the store must not get the gateway restarted.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(management, "/healthz")).Status);

        await cluster.StartAsync();
        clock.Restart();
        var back = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100), async () =>
            (await GetAsync(management, "/readyz")).Status == HttpStatusCode.OK);
        Assert.NotNull(back);
        output.WriteLine($"ready again {back!.Value.TotalMilliseconds:0} ms after PostgreSQL started");
    }

    /// <summary>
    /// Replica B runs with a new key-encryption key (A's as a previous one), as in the middle of a KEK rotation, and
    /// re-seals the shared signing keys under it. A can no longer open them: it keeps its loaded keys (and would answer
    /// 440 to tokens B signs with a key it never loaded), so it must leave the Service's endpoints.
    /// </summary>
    [SkippableFact]
    public async Task AnotherReplicaSealsTheKeysUnderAKekThisOneLacks_ReadyzIs503SigningKeys()
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        var kekA = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var kekB = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        const string session = "  KeyRefreshInterval: 1s\n  Store:\n    Provider: Postgres\n";
        var (a, management) = await StartAsync(
            routes: "",
            session: session,
            environment: new Dictionary<string, string>
            {
                ["Session__Store__ConnectionString"] = cluster.ConnectionString,
                ["Session__KeyEncryption__Key"] = kekA,
            });
        Assert.Equal((HttpStatusCode.OK, """{"status":"ready"}"""), await GetAsync(management, "/readyz"));

        await StartAsync(
            routes: "",
            session: session,
            environment: new Dictionary<string, string>
            {
                ["Session__Store__ConnectionString"] = cluster.ConnectionString,
                ["Session__KeyEncryption__Key"] = kekB,
                ["Session__KeyEncryption__PreviousKeys__0"] = kekA,
            });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var unready = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100), async () =>
            (await GetAsync(management, "/readyz")).Status == HttpStatusCode.ServiceUnavailable);
        Assert.True(unready is not null, "A's /readyz stayed 200 with keys it cannot open\n" + a.OutputTail(20));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, """{"status":"unready","reason":"signing keys"}"""), await GetAsync(management, "/readyz"));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(management, "/healthz")).Status);
        // Both are logged before the 503 is answered, but reach this process's copy of the output later (see OutputContainsAsync).
        Assert.True(await a.OutputContainsAsync("[1456]", TimeSpan.FromSeconds(5)), "no event 1456 (key unreadable)\n" + a.OutputTail(20));
        Assert.True(await a.OutputContainsAsync("[5005]", TimeSpan.FromSeconds(5)), "no event 5005 (not ready: signing keys)\n" + a.OutputTail(20));
    }

    /// <summary>WireMock answering 200 to anything; a test's own mappings (priority 1) come first.</summary>
    private static WireMockServer StartUpstream()
    {
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        return upstream;
    }

    private async Task<(GatewayProcess Gateway, HttpClient Management)> StartAsync(
        string routes, string session = "", IReadOnlyDictionary<string, string>? environment = null, string drainDelay = "0s", string clusters = "", int? shutdownTimeoutSeconds = null)
    {
        var port = LoopbackPorts.Free();
        // One file per gateway: each watches its own.
        var path = Path.Combine(_directory, _gateways.Count == 0 ? "proxy.yaml" : $"proxy-{_gateways.Count}.yaml");
        await File.WriteAllTextAsync(path, Yaml(port, drainDelay, routes, session, clusters, shutdownTimeoutSeconds, _upstream.Url()));
        var gateway = await GatewayProcess.StartAsync("M", path, environment);
        _gateways.Add(gateway);
        var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        return (gateway, management);
    }

    /// <summary>Sends <paramref name="text"/> as one text message and returns the one message that comes back.</summary>
    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal((WebSocketMessageType.Text, true), (received.MessageType, received.EndOfMessage));
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    /// <summary>Whether a new TCP connection to <paramref name="port"/> on 127.0.0.1 is refused (nothing listens).</summary>
    private static async Task<bool> IsRefusedAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A management listener on <paramref name="managementPort"/> (the traffic port comes from the command line).
    /// <paramref name="routes"/> are written at the indentation of a route name (4), <paramref name="session"/> at that
    /// of a key under Session (2), <paramref name="clusters"/> at that of a cluster name (4).
    /// </summary>
    private static string Yaml(int managementPort, string drainDelay, string routes, string session, string clusters, int? shutdownTimeoutSeconds, string upstreamUrl) => $$"""
        {{(shutdownTimeoutSeconds is { } seconds ? $"ShutdownTimeoutSeconds: {seconds}" : "")}}
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.ProcessLogYaml("SessionGateway.Management")}}
        Session:
          Management:
            Urls: http://127.0.0.1:{{managementPort}}
            DrainDelay: {{drainDelay}}
          RateLimits:
            Refresh:
              Enabled: false
            Login:
              Enabled: false
        {{session}}
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.LoginAndApiYaml(upstreamUrl, routes)}}
        {{clusters}}
        """;

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xUnit 2 does not dispose a test class through IAsyncDisposable, and the
    // gateways it started would outlive the run.
    public async Task DisposeAsync()
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
