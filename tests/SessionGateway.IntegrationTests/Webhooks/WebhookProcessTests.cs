using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Npgsql;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.IntegrationTests.ScaleOut;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Webhooks;

/// <summary>
/// The built gateway as a process with <c>Session:Webhooks</c> and a real receiver (Kestrel in the test): a theft
/// reaches the receiver signed, through failures and a restart, without holding up the client's refresh. In the
/// gateway-process collection (one at a time).
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class WebhookProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(40);
    private readonly WireMockServer _upstream = StartUpstream();
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-webhooks-").FullName;
    private readonly List<GatewayProcess> _gateways = [];
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            output.WriteLine(gateway.OutputTail(40));
            await gateway.DisposeAsync();
        }

        await _receiver.DisposeAsync();
        _upstream.Stop();
        _upstream.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the temp cleaner.
        }
    }

    [Fact]
    public async Task ReceiverFailsTwiceThenAccepts_TheTheftArrives_SameIdOnEveryAttempt_SignatureVerifies_PayloadHasTheEvent()
    {
        _receiver.Answer = n => Task.FromResult(n < 2 ? 500 : 204);
        var gateway = await StartAsync();
        var startedAt = DateTimeOffset.UtcNow;

        var handle = await TheftAsync(gateway);

        var requests = await _receiver.WaitForAsync(3, DeliveryTimeout, () => gateway.OutputTail(20));
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.StartsWith("msg_", requests[0].Id, StringComparison.Ordinal);
        Assert.All(requests, r =>
        {
            Assert.Equal(("POST", "/hooks"), (r.Method, r.Path));
            Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal);
            Assert.True(_receiver.SignatureVerifies(r), "signature of " + r.Id);
            Assert.Equal(requests[0].Body, r.Body);
        });

        var json = requests[2].Json;
        Assert.Equal("session.theft_detected", json.GetProperty("type").GetString());
        var occurredAt = json.GetProperty("timestamp").GetDateTimeOffset();
        Assert.InRange(occurredAt, startedAt.AddSeconds(-1), requests[0].ReceivedAt);
        var data = json.GetProperty("data");
        Assert.Equal("mia", data.GetProperty("userId").GetString());
        Assert.Equal(handle, data.GetProperty("sessionHandle").GetString());
        Assert.Equal("older_generation", data.GetProperty("kind").GetString());
        Assert.Equal("127.0.0.1", data.GetProperty("clientAddress").GetString());

        // Delivered, so out of the outbox: nothing is left to send again (checked in the database, after a clean stop).
        await WaitForLogAsync(gateway, "[2260]");
        Assert.Equal(0, await gateway.StopAsync());
        Assert.Equal(0, CountSqliteOutbox());
        Assert.Equal(3, _receiver.Requests.Count);
        Assert.Equal(2, CountOccurrences(gateway.Output, "[2261]"));
    }

    [Fact]
    public async Task GatewayStoppedAfterAFailedAttempt_StartedAgainOnTheSameFile_DeliversWithTheSameId()
    {
        var accept = false;
        _receiver.Answer = _ => Task.FromResult(Volatile.Read(ref accept) ? 200 : 503);
        var gateway = await StartAsync();

        await TheftAsync(gateway);
        await _receiver.WaitForAsync(1, DeliveryTimeout, () => gateway.OutputTail(20));
        Assert.Equal(0, await gateway.StopAsync());
        var failedBeforeStop = _receiver.Requests.Count;
        Assert.Equal(1, CountSqliteOutbox());

        Volatile.Write(ref accept, true);
        await gateway.RestartAsync();
        var requests = await _receiver.WaitForAsync(failedBeforeStop + 1, DeliveryTimeout, () => gateway.OutputTail(20));
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.All(requests, r => Assert.True(_receiver.SignatureVerifies(r)));
        await WaitForLogAsync(gateway, "[2260]");
        Assert.Equal(0, await gateway.StopAsync());
        Assert.Equal(0, CountSqliteOutbox());
    }

    [Fact]
    public async Task ReceiverHoldsTheWebhookOpen_TheTheftResponseStillArrives_DeliveredOnceReleased()
    {
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Answer = _ => release.Task;
        var gateway = await StartAsync(timeout: "60s");

        // The theft refresh answers (the gateway's client times out after 15 s) though the receiver answers nothing yet.
        await TheftAsync(gateway);
        Assert.False(release.Task.IsCompleted);

        // The webhook is at the receiver, still unanswered; only now is it let go.
        var held = await _receiver.WaitForAsync(1, DeliveryTimeout, () => gateway.OutputTail(20));
        Assert.Equal("session.theft_detected", held[0].Type);
        release.SetResult(200);
        await WaitForLogAsync(gateway, "[2260]");
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task OnlyListedEventTypesAreSent_CreatedAndSignedOut_NotTheft()
    {
        var gateway = await StartAsync(events: ["session.created", "session.signed_out"]);

        await TheftAsync(gateway); // mia: a created event (listed) and a theft (not listed).
        var bob = new SessionClient(gateway.Client, TokenMode.Header);
        using (var login = await bob.LoginAsync("/login/bob"))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }

        using (var signOut = await bob.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, signOut.StatusCode);
        }

        await _receiver.WaitForAsync(3, DeliveryTimeout, () => gateway.OutputTail(20));
        Assert.Equal(0, await gateway.StopAsync());

        // Nothing else queued: a theft webhook would be at the receiver or still in the outbox.
        Assert.Equal(0, CountSqliteOutbox());
        var received = _receiver.Requests.Select(r => (r.Type, r.Json.GetProperty("data").GetProperty("userId").GetString())).Order().ToList();
        Assert.Equal([("session.created", "bob"), ("session.created", "mia"), ("session.signed_out", "bob")], received);
        Assert.All(_receiver.Requests, r => Assert.True(_receiver.SignatureVerifies(r)));
    }

    [Theory]
    [InlineData("    Events:\n      - session.theft_detected\n      - session.stolen\n", true, "Session:Webhooks:Events:1")]
    [InlineData("", false, "Session:Webhooks:SecretFile")]
    public async Task MisconfiguredWebhooks_TheGatewayDoesNotStart_ExitCode2NamesTheKey(string extra, bool withSecret, string key)
    {
        var path = await WriteConfigAsync("proxy.yaml", Yaml(extra, withSecret ? "    SecretFile: webhook.secret\n" : "", "", "    Timeout: 2s\n"));

        var (exitCode, _, stderr) = await GatewayProcess.RunToExitAsync(path, environment: null, TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains(key, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_receiver.Secret["whsec_".Length..], stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Two replicas on one PostgreSQL, both with the sender: the outbox lease lets one of them take the theft's webhook,
    /// the receiver accepts it, and it leaves the outbox: exactly one delivery.
    /// </summary>
    [SkippableFact]
    public async Task TwoReplicasOnOnePostgres_OneTheft_ExactlyOneDelivery()
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        var environment = new Dictionary<string, string> { ["Session__Store__ConnectionString"] = cluster.ConnectionString };
        var a = await StartAsync(store: "  Store:\n    Provider: Postgres\n", environment: environment);
        var b = await StartAsync(store: "  Store:\n    Provider: Postgres\n", environment: environment, file: "proxy-b.yaml");

        await TheftAsync(a);
        await _receiver.WaitForAsync(1, DeliveryTimeout, () => a.OutputTail(20) + "\n" + b.OutputTail(20));
        var clock = Stopwatch.StartNew();
        var empty = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), async () => await CountPostgresOutboxAsync(cluster.ConnectionString) == 0);
        Assert.True(empty is not null, "the webhook stayed in the outbox\n" + a.OutputTail(20) + "\n" + b.OutputTail(20));

        // Both replicas keep looking at the outbox every second; give them a few looks, then stop them: still one request.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(0, await a.StopAsync());
        Assert.Equal(0, await b.StopAsync());
        var delivered = Assert.Single(_receiver.Requests);
        Assert.True(_receiver.SignatureVerifies(delivered));
        Assert.Equal(1, CountOccurrences(a.Output + b.Output, "[2260]"));
    }

    /// <summary>mia logs in, refreshes twice, then her first refresh token is replayed: theft. Returns her session handle.</summary>
    private static async Task<string> TheftAsync(GatewayProcess gateway)
    {
        var client = new SessionClient(gateway.Client, TokenMode.Header);
        using (var login = await client.LoginAsync("/login/mia"))
        {
            Assert.True(login.StatusCode == HttpStatusCode.OK, $"login: {(int)login.StatusCode}\n{gateway.OutputTail(20)}");
        }

        var handle = client.FrontToken!.Up.GetProperty("sessionHandle").GetString()!;
        var first = client.RefreshToken;
        for (var i = 0; i < 2; i++)
        {
            using var refresh = await client.RefreshAsync();
            Assert.True(refresh.StatusCode == HttpStatusCode.OK, $"refresh {i}: {(int)refresh.StatusCode}\n{gateway.OutputTail(20)}");
        }

        using var theft = await client.RefreshAsync(first);
        await Wire.AssertJsonAsync(theft, 440, """{"message":"token theft detected"}""");
        return handle;
    }

    private async Task<GatewayProcess> StartAsync(
        string[]? events = null, string timeout = "2s", string store = "", IReadOnlyDictionary<string, string>? environment = null, string file = "proxy.yaml")
    {
        var eventLines = events is null ? "" : "    Events:\n" + string.Concat(events.Select(e => $"      - {e}\n"));
        var path = await WriteConfigAsync(file, Yaml(eventLines, "    SecretFile: webhook.secret\n", store, $"    Timeout: {timeout}\n"));
        var gateway = await GatewayProcess.StartAsync(((char)('A' + _gateways.Count)).ToString(), path, environment);
        _gateways.Add(gateway);
        return gateway;
    }

    private async Task<string> WriteConfigAsync(string file, string yaml)
    {
        var secretPath = Path.Combine(_directory, "webhook.secret");
        if (!File.Exists(secretPath))
        {
            await File.WriteAllTextAsync(secretPath, _receiver.Secret + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(secretPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        var path = Path.Combine(_directory, file);
        await File.WriteAllTextAsync(path, yaml);
        return path;
    }

    private static async Task WaitForLogAsync(GatewayProcess gateway, string text)
    {
        var clock = Stopwatch.StartNew();
        var seen = await Poll.UntilAsync(clock, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50), () => Task.FromResult(gateway.Output.Contains(text, StringComparison.Ordinal)));
        Assert.True(seen is not null, $"no {text} in the gateway's log\n{gateway.OutputTail(30)}");
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private long CountSqliteOutbox()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "sessions.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM webhook_outbox";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<long> CountPostgresOutboxAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM webhook_outbox", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>WireMock answering 200 to anything; logins for mia and bob create their sessions.</summary>
    private static WireMockServer StartUpstream()
    {
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        foreach (var user in new[] { "mia", "bob" })
        {
            upstream.Given(Request.Create().WithPath("/login/" + user).UsingPost()).AtPriority(1)
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("X-Session-Create", user));
        }

        return upstream;
    }

    /// <summary><paramref name="webhookLines"/>, <paramref name="secretLines"/> and <paramref name="timeoutLine"/> at the indentation of a key under Webhooks (4), <paramref name="store"/> under Session (2).</summary>
    private string Yaml(string webhookLines, string secretLines, string store, string timeoutLine) => $$"""
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.ProcessLogYaml("SessionGateway.Webhooks")}}
        Session:
          RateLimits:
            Refresh:
              Enabled: false
            Login:
              Enabled: false
        {{(store.Length > 0 ? store : "  Store:\n    ConnectionString: sessions.db\n")}}
          Webhooks:
            Url: {{_receiver.Url}}
        {{secretLines}}{{timeoutLine}}{{webhookLines}}
        {{Upstream.LoginAndApiYaml(_upstream.Url())}}
        """;
}
