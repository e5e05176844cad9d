using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.IntegrationTests.ScaleOut;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Admin;

/// <summary>
/// The admin API in front of PostgreSQL: a revocation through one replica's admin API reaches another replica within
/// a second, as a sign-out does; a store outage is a 503 with Retry-After, never a 500. Skipped without PostgreSQL.
/// </summary>
[Collection(ScaleOutCollection.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The gateways are disposed by IAsyncLifetime.DisposeAsync")]
public sealed class AdminApiPostgresTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string PostgresStore = "  Store:\n    Provider: Postgres\n    BusyTimeout: 1s\n";

    private readonly AdminGateway _admin = new();

    // IAsyncLifetime, not IAsyncDisposable: xUnit 2 never calls the latter on a test class, which left every
    // gateway process of these tests running after the run.
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _admin.ReportAndDisposeAsync(output);

    [SkippableFact]
    public async Task RevokedThroughOneReplicasAdminApi_RefusedOnAnotherReplicaWithinOneSecond()
    {
        await using var schema = await TestSchema.CreateAsync();
        var environment = new Dictionary<string, string> { ["Session__Store__ConnectionString"] = schema.ConnectionString };
        var a = await _admin.StartAsync(session: PostgresStore, environment: environment);
        var b = await _admin.StartAsync(session: PostgresStore, environment: environment);
        var login = _admin.MapLogin("frank", "frank");
        var one = await _admin.LoginAsync(login, "browser/1", replica: 0);
        var two = await _admin.LoginAsync(login, "browser/2", replica: 0);
        var three = await _admin.LoginAsync(login, "browser/3", replica: 1);

        // B has verified (and cached) every token before the revocations.
        foreach (var client in new[] { one, two, three })
        {
            using var response = await new SessionClient(b.Client, TokenMode.Header).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, client.AccessToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Both replicas list the same sessions: the store is the one truth.
        Assert.Equal(3, (await _admin.AdminAsync(HttpMethod.Get, "/admin/users/frank/sessions", replica: 1)).GetArrayLength());

        // One session revoked through A's admin API: B refuses it within a second.
        await _admin.AdminAsync(HttpMethod.Delete, "/admin/sessions/" + Handle(one), HttpStatusCode.NoContent, replica: 0);
        var since = Stopwatch.StartNew();
        var delay = await RevocationProbe.TimeUntilRefusedAsync(b, TokenMode.Header, one.AccessToken!, since);
        output.WriteLine($"revoked on A: refused on B after {delay.TotalMilliseconds:0} ms");
        Assert.True(delay < RevocationProbe.Limit, $"B refused only after {delay.TotalMilliseconds:0} ms");
        using (var refresh = await new SessionClient(b.Client, TokenMode.Header).RefreshAsync(one.RefreshToken))
        {
            await Wire.AssertJsonAsync(refresh, 440, """{"message":"unauthorised"}""");
        }

        // The rest through B's admin API: A refuses both within a second.
        Assert.Equal("""{"revoked":2}""", (await _admin.AdminAsync(HttpMethod.Delete, "/admin/users/frank/sessions", replica: 1)).GetRawText());
        since.Restart();
        var delays = await Task.WhenAll(
            RevocationProbe.TimeUntilRefusedAsync(a, TokenMode.Header, two.AccessToken!, since),
            RevocationProbe.TimeUntilRefusedAsync(a, TokenMode.Header, three.AccessToken!, since));
        output.WriteLine($"revoked on B: refused on A after {delays[0].TotalMilliseconds:0} and {delays[1].TotalMilliseconds:0} ms");
        Assert.All(delays, d => Assert.True(d < RevocationProbe.Limit, $"A refused only after {d.TotalMilliseconds:0} ms"));
        Assert.Empty((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/frank/sessions", replica: 0)).EnumerateArray());

        // The trail, read a page of one at a time through either replica: three sign-ins, three revocations, each once.
        var seen = new List<(string? Type, string? Handle)>();
        string? after = null;
        for (var page = 0; page < 10; page++)
        {
            var listed = await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=frank&limit=1" + (after is null ? "" : "&after=" + after), replica: page % 2);
            seen.AddRange(listed.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("type").GetString(), e.GetProperty("sessionHandle").GetString())));
            after = listed.GetProperty("next").ValueKind == JsonValueKind.Null ? null : listed.GetProperty("next").GetString();
            if (after is null)
            {
                break;
            }
        }

        Assert.Equal(3, seen.Count(e => e.Type == "session.created"));
        Assert.Equal(
            new[] { Handle(one), Handle(two), Handle(three) }.Order(StringComparer.Ordinal),
            seen.Where(e => e.Type == "session.revoked").Select(e => e.Handle!).Order(StringComparer.Ordinal));
        Assert.Equal(6, seen.Count);
    }

    [SkippableFact]
    public async Task StoreDown_EveryAdminEndpointIs503WithRetryAfter_NeverA500_ThenAnswersAgain()
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        await _admin.StartAsync(session: PostgresStore, environment: new Dictionary<string, string> { ["Session__Store__ConnectionString"] = cluster.ConnectionString });
        var client = await _admin.LoginAsync(_admin.MapLogin("gina", "gina"), "browser/1");

        await cluster.StopAsync();
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/admin/users/gina/sessions"), (HttpMethod.Delete, "/admin/users/gina/sessions"),
            (HttpMethod.Delete, "/admin/sessions/" + Handle(client)), (HttpMethod.Get, "/admin/events"),
        })
        {
            var (status, body, response) = await _admin.SendAsync(method, path, "Bearer " + _admin.Key);
            using (response)
            {
                Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{method} {path}: {(int)status} {body}");
                Assert.Equal("1", response.Headers.RetryAfter?.ToString());
                Assert.Equal("""{"message":"session store unavailable, try again"}""", body);
            }
        }

        // Without the key it is still 401: the key is checked before the store is asked anything.
        var (unauthorised, _, refused) = await _admin.SendAsync(HttpMethod.Get, "/admin/users/gina/sessions", authorization: null);
        refused.Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised);

        await cluster.StartAsync();
        var back = await Poll.UntilAsync(Stopwatch.StartNew(), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200), async () =>
            (await _admin.SendAsync(HttpMethod.Get, "/admin/users/gina/sessions", "Bearer " + _admin.Key)).Status == HttpStatusCode.OK);
        Assert.NotNull(back);
        Assert.Single((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/gina/sessions")).EnumerateArray());
    }

    private static string Handle(SessionClient client) => Wire.JwtPayload(client.AccessToken!).GetProperty("sessionHandle").GetString()!;
}
