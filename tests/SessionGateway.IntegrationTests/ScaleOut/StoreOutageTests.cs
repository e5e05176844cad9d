using System.Diagnostics;
using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>PostgreSQL goes down and comes back under running replicas (a private server: this test stops it).</summary>
[Collection(ScaleOutCollection.Name)]
public sealed class StoreOutageTests(ITestOutputHelper output)
{
    private const string FeedBackLine = "Revocation feed back";
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(15);

    // The feed's longest backoff (2 s) plus the reconnection and re-read.
    private static readonly TimeSpan MissedRevocationLimit = TimeSpan.FromSeconds(2.5);

    [SkippableFact]
    public async Task PostgresStopped_AccessStillWorks_SessionWritesAre503KeepingTokens_ThenAllRecoverWithoutARestart()
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(2, new ReplicaOptions { ConnectionString = cluster.ConnectionString }, output);
        var (a, b) = (replicas[0], replicas[1]);
        var header = await replicas.LoginAsync(a, TokenMode.Header, "gina");
        var cookie = await replicas.LoginAsync(b, TokenMode.Cookie, "gina-browser");
        var leaving = await replicas.LoginAsync(a, TokenMode.Header, "gina-leaving");
        var missed = await replicas.LoginAsync(b, TokenMode.Header, "gina-missed");
        var later = await replicas.LoginAsync(b, TokenMode.Header, "gina-later");
        var newcomerLogin = replicas.MapLogin("gina-new");

        var feedBackBefore = replicas.All.Select(r => FeedBackCount(r)).ToList();
        var feedLinesBefore = replicas.All.Select(r => FeedLines(r).Count).ToList();
        await cluster.StopAsync();

        foreach (var replica in replicas.All)
        {
            // Access tokens are checked locally: the app stays usable.
            foreach (var client in new[] { header, cookie, leaving })
            {
                client.Http = replica.Client;
                using var response = await client.GetAsync(GatewayReplicas.ApiPath);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{client.Mode} access on {replica.Name} with the store down: {(int)response.StatusCode}");
            }

            foreach (var client in new[] { header, cookie })
            {
                using var response = await client.RefreshAsync();
                await AssertStoreUnavailableAsync(response, $"{client.Mode} refresh on {replica.Name}");
            }

            foreach (var mode in new[] { TokenMode.Header, TokenMode.Cookie })
            {
                using var response = await new SessionClient(replica.Client, mode).LoginAsync(newcomerLogin);
                await AssertStoreUnavailableAsync(response, $"{mode} login on {replica.Name}");
            }

            foreach (var client in new[] { leaving, cookie })
            {
                using var response = await client.SignOutAsync();
                await AssertStoreUnavailableAsync(response, $"{client.Mode} sign-out on {replica.Name}");
            }
        }

        // The failed sign-outs revoked nothing anywhere: the client may simply try again later.
        foreach (var replica in replicas.All)
        {
            foreach (var client in new[] { leaving, cookie })
            {
                client.Http = replica.Client;
                using var response = await client.GetAsync(GatewayReplicas.ApiPath);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await cluster.StartAsync();
        var sinceStart = Stopwatch.StartNew();

        // A sign-out on A as soon as A can write again: B's feed is most likely still waiting to reconnect and
        // misses the notification, so B learns of it from the re-read that follows its reconnection. That can take
        // up to the feed's longest backoff (2 s), not the 1 s of a listening feed.
        missed.Http = a.Client;
        var missedSignOut = await Poll.UntilAsync(sinceStart, RecoveryLimit, TimeSpan.FromMilliseconds(20), async () =>
        {
            using var response = await missed.SignOutAsync();
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"sign-out on A after the restart: {(int)response.StatusCode}");
            return response.StatusCode == HttpStatusCode.OK;
        });
        Assert.True(missedSignOut is not null, $"sign-out on A still 503 {RecoveryLimit.TotalSeconds:0} s after PostgreSQL started");
        var sinceMissedSignOut = Stopwatch.StartNew();
        var missedOnB = RevocationProbe.TimeUntilRefusedAsync(b, TokenMode.Header, missed.AccessToken!, sinceMissedSignOut);

        // No gateway is restarted: each one's pool and revocation feed find the server again by themselves.
        foreach (var replica in replicas.All)
        {
            foreach (var client in new[] { header, cookie })
            {
                client.Http = replica.Client;
                var lastStatus = 0;
                var recovered = await Poll.UntilAsync(sinceStart, RecoveryLimit, TimeSpan.FromMilliseconds(100), async () =>
                {
                    using var response = await client.RefreshAsync();
                    lastStatus = (int)response.StatusCode;
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Wire.AssertSessionUntouched(response);
                    }
                    else
                    {
                        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{client.Mode} refresh on {replica.Name} after the restart: {lastStatus}");
                    }

                    return lastStatus == 200;
                });
                Assert.True(recovered is not null, $"{client.Mode} refresh on {replica.Name} still {lastStatus} {RecoveryLimit.TotalSeconds:0} s after PostgreSQL started again");
                output.WriteLine($"{client.Mode} refresh on {replica.Name}: 200 again {recovered!.Value.TotalMilliseconds:0} ms after PostgreSQL started");
            }
        }

        foreach (var replica in replicas.All)
        {
            await replicas.LoginAsync(replica, TokenMode.Header, "gina-new");
        }

        var missedDelay = await missedOnB;
        output.WriteLine($"sign-out on A {missedSignOut!.Value.TotalMilliseconds:0} ms after PostgreSQL started; refused on B after {missedDelay.TotalMilliseconds:0} ms " +
            $"(B's feed: {string.Join(" | ", FeedLines(b).Skip(feedLinesBefore[1]))})");
        Assert.True(missedDelay < MissedRevocationLimit, $"a sign-out made while B's feed was reconnecting reached B only after {missedDelay.TotalMilliseconds:0} ms");

        // The feed reconnects on its own backoff (up to 2 s between attempts) and then re-reads the revocations it
        // may have missed; its "back" line is the moment it listens again. From then on a sign-out must arrive in
        // under a second, as before the outage.
        foreach (var (replica, before) in replicas.All.Zip(feedBackBefore))
        {
            var back = await Poll.UntilAsync(sinceStart, RecoveryLimit, TimeSpan.FromMilliseconds(20), () => Task.FromResult(FeedBackCount(replica) > before));
            Assert.True(back is not null, $"the revocation feed of {replica.Name} did not report being back within {RecoveryLimit.TotalSeconds:0} s:\n{replica.Output}");
            output.WriteLine($"revocation feed of {replica.Name} back at most {back!.Value.TotalMilliseconds:0} ms after PostgreSQL started");
        }

        later.Http = a.Client;
        using (var response = await later.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var sinceSignOut = Stopwatch.StartNew();
        var delay = await RevocationProbe.TimeUntilRefusedAsync(b, TokenMode.Header, later.AccessToken!, sinceSignOut);
        output.WriteLine($"after the outage: sign-out on A refused on B after {delay.TotalMilliseconds:0} ms");
        Assert.True(delay < RevocationProbe.Limit, $"refused on B only after {delay.TotalMilliseconds:0} ms");
    }

    private static int FeedBackCount(GatewayProcess replica) =>
        FeedLines(replica).Count(line => line.Contains(FeedBackLine, StringComparison.Ordinal));

    /// <summary>The revocation feed's log lines (lost / back), without the exception text.</summary>
    private static List<string> FeedLines(GatewayProcess replica) =>
    [
        .. replica.Output.Split('\n')
            .Where(line => line.Contains("RevocationSync[", StringComparison.Ordinal))
            .Select(line => line.Length > 140 ? line[..140] : line),
    ];

    /// <summary>503, Retry-After, the store-unavailable body, and nothing that would make a client drop its tokens.</summary>
    private static async Task AssertStoreUnavailableAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)response.StatusCode} {body}");
        Assert.Equal("""{"message":"session store unavailable, try again"}""", body);
        Assert.True(response.Headers.RetryAfter is not null, what + ": Retry-After expected");
        Wire.AssertSessionUntouched(response);
    }
}
