using System.Diagnostics;
using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>Refresh-token rotation when the requests of one session land on different replicas.</summary>
[Collection(ScaleOutCollection.Name)]
public sealed class RefreshAcrossReplicasTests(ITestOutputHelper output)
{
    private const int Rounds = 5;

    [SkippableFact]
    public async Task OneRefreshTokenOnAAndBAtOnce_BothGetTheSameNextToken_WhichRefreshesWithoutTheft()
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(3, new ReplicaOptions { ConnectionString = schema.ConnectionString }, output);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        var client = await replicas.LoginAsync(a, TokenMode.Header, "bob");

        // Several rounds, so that at least some of the pairs really overlap in the database.
        for (var round = 0; round < Rounds; round++)
        {
            var onA = new SessionClient(a.Client, TokenMode.Header) { RefreshToken = client.RefreshToken };
            var onB = new SessionClient(b.Client, TokenMode.Header) { RefreshToken = client.RefreshToken };
            var racing = new[] { onA.RefreshAsync(), onB.RefreshAsync() };
            var responses = await Task.WhenAll(racing);
            try
            {
                foreach (var (response, name) in responses.Zip(["A", "B"]))
                {
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"round {round}, {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            finally
            {
                foreach (var response in responses)
                {
                    response.Dispose();
                }
            }

            Assert.NotEqual(client.RefreshToken, onA.RefreshToken);
            Assert.Equal(onA.RefreshToken, onB.RefreshToken);

            // Both access tokens are good anywhere.
            foreach (var token in new[] { onA.AccessToken!, onB.AccessToken! })
            {
                using var response = await new SessionClient(c.Client, TokenMode.Header).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            client.RefreshToken = onA.RefreshToken;
        }

        // The shared next token carries on, on a third replica: no false theft, the session lives.
        client.Http = c.Client;
        using (var response = await client.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await client.GetAsync(GatewayReplicas.ApiPath))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [SkippableFact]
    public async Task RotatedTokenReusedOnBAfterTheGraceWindow_IsTheft_SessionRefusedEverywhereWithinOneSecond()
    {
        await using var schema = await TestSchema.CreateAsync();
        var options = new ReplicaOptions { ConnectionString = schema.ConnectionString, RefreshGracePeriod = "1s" };
        await using var replicas = await GatewayReplicas.StartAsync(3, options, output);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        var client = await replicas.LoginAsync(a, TokenMode.Header, "carol");
        var stolen = client.RefreshToken!;
        using (var response = await client.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var accessToken = client.AccessToken!;
        var newest = client.RefreshToken!;
        foreach (var replica in replicas.All)
        {
            using var response = await new SessionClient(replica.Client, TokenMode.Header).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The grace window runs on the gateways' real clocks (separate processes; no fake clock can be injected),
        // so the test waits it out: 1 s configured, plus margin.
        await Task.Delay(TimeSpan.FromMilliseconds(1300));

        var thief = new SessionClient(b.Client, TokenMode.Header);
        using (var response = await thief.RefreshAsync(stolen))
        {
            await Wire.AssertJsonAsync(response, 440, """{"message":"token theft detected"}""");
            Wire.AssertSessionCleared(response, TokenMode.Header);
        }

        var sinceTheft = Stopwatch.StartNew();
        var delays = await Task.WhenAll(replicas.All.Select(r => RevocationProbe.TimeUntilRefusedAsync(r, TokenMode.Header, accessToken, sinceTheft)));
        output.WriteLine($"after the theft answer on B, the session's access token was refused on A after {delays[0].TotalMilliseconds:0} ms, " +
            $"on B after {delays[1].TotalMilliseconds:0} ms, on C after {delays[2].TotalMilliseconds:0} ms");
        Assert.All(delays, delay => Assert.True(delay < RevocationProbe.Limit, $"refused only after {delay.TotalMilliseconds:0} ms"));

        // The legitimate holder's newest refresh token is dead too: the whole session is gone.
        foreach (var replica in replicas.All)
        {
            client.Http = replica.Client;
            using var response = await client.RefreshAsync(newest);
            await Wire.AssertJsonAsync(response, 440, """{"message":"unauthorised"}""");
        }
    }
}
