using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>
/// Refreshes keep flowing while the database or a replica dies: a client sees 200 or a retryable 503, never a
/// logout or a theft alarm, and no rotation it was told about (a 200) is lost.
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class RefreshUnderFailureTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private static readonly TimeSpan LoadBefore = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LoadAfter = TimeSpan.FromSeconds(3);

    [SkippableTheory]
    [InlineData("restart")]
    [InlineData("kill")]
    public async Task PostgresRestartedDuringARefreshLoad_EveryAnswerIs200Or503_NoAcknowledgedRotationLost(string how)
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(3, new ReplicaOptions { ConnectionString = cluster.ConnectionString }, output);
        var clients = await LoginClientsAsync(replicas);
        var load = new RefreshLoad(replicas, clients);

        var running = load.RunAsync();
        TimeSpan restartedAt;
        try
        {
            await Task.Delay(LoadBefore);
            var restartingAt = load.Clock.Elapsed;
            if (how == "restart")
            {
                await cluster.RestartAsync();
            }
            else
            {
                // Crash-like: no shutdown checkpoint, crash recovery on start; committed rotations must survive it.
                await cluster.KillAsync();
                await cluster.StartAsync();
            }

            restartedAt = load.Clock.Elapsed;
            output.WriteLine($"PostgreSQL {how}: down from {restartingAt.TotalSeconds:0.00} s, accepting again at {restartedAt.TotalSeconds:0.00} s");
            await Task.Delay(LoadAfter);
        }
        finally
        {
            load.Stop();
            await running;
            output.WriteLine(load.Summary());
        }

        Assert.Empty(load.Unexpected);
        Assert.True(load.Count(HttpStatusCode.ServiceUnavailable) > 0, "no refresh noticed the restart; the test did not test anything: " + load.Summary());
        await AssertEveryClientCarriedOnAsync(load, clients, restartedAt, replicas.All);
    }

    [SkippableFact]
    public async Task ReplicaKilledDuringARefreshLoad_ClientsMoveToTheOthers_NoAcknowledgedRotationLost()
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(3, new ReplicaOptions { ConnectionString = schema.ConnectionString }, output);
        var clients = await LoginClientsAsync(replicas);
        var load = new RefreshLoad(replicas, clients);
        var victim = replicas[2];

        var running = load.RunAsync();
        TimeSpan killedAt;
        try
        {
            await Task.Delay(LoadBefore);
            load.WillKill(victim);
            await victim.KillAsync();
            killedAt = load.Clock.Elapsed;
            output.WriteLine($"replica {victim.Name} killed at {killedAt.TotalSeconds:0.00} s");
            await Task.Delay(LoadAfter);
        }
        finally
        {
            load.Stop();
            await running;
            output.WriteLine(load.Summary());
        }

        Assert.Empty(load.Unexpected);
        await AssertEveryClientCarriedOnAsync(load, clients, killedAt, replicas.All.Where(r => r != victim));
    }

    private static async Task<List<SessionClient>> LoginClientsAsync(GatewayReplicas replicas)
    {
        var clients = new List<SessionClient>();
        for (var i = 0; i < Clients; i++)
        {
            clients.Add(await replicas.LoginAsync(replicas[i % replicas.All.Count], TokenMode.Header, "load-" + i));
        }

        return clients;
    }

    /// <summary>
    /// Every client got a 200 after the failure, and its last acknowledged refresh token (the one it holds: a
    /// client keeps tokens only from a 200) still refreshes, as does the access token that came with it.
    /// </summary>
    private static async Task AssertEveryClientCarriedOnAsync(RefreshLoad load, List<SessionClient> clients, TimeSpan failureAt, IEnumerable<GatewayProcess> live)
    {
        var liveReplicas = live.ToList();
        for (var i = 0; i < clients.Count; i++)
        {
            Assert.True(load.LastAcknowledged(i) > failureAt, $"client {i} got no 200 after the failure at {failureAt.TotalSeconds:0.00} s (last: {load.LastAcknowledged(i)?.TotalSeconds:0.00} s)");
            var client = clients[i];
            var replica = liveReplicas[i % liveReplicas.Count];
            client.Http = replica.Client;
            using (var response = await client.RefreshAsync())
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"client {i}'s last acknowledged refresh token on {replica.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            using (var response = await client.GetAsync(GatewayReplicas.ApiPath))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
    }
}
