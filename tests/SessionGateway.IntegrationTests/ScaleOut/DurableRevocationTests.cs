using System.Diagnostics;
using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>A signed-out access token stays refused after a gateway crashes (or is stopped) and starts again.</summary>
[Collection(ScaleOutCollection.Name)]
public sealed class DurableRevocationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task SignOutOnA_ThenBKilledAndAStoppedAndBothStartedAgain_RestartedReplicasRefuseTheToken()
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(2, new ReplicaOptions { ConnectionString = schema.ConnectionString }, output);
        var (a, b) = (replicas[0], replicas[1]);
        var client = await replicas.LoginAsync(a, TokenMode.Header, "erin");
        var accessToken = client.AccessToken!;

        // A session nobody signs out: still accepted after the restart, so the refusal below is the revocation,
        // not a replica that forgot its keys.
        var bystander = await replicas.LoginAsync(a, TokenMode.Header, "erin-other-device");
        var onB = new SessionClient(b.Client, TokenMode.Header);
        using (var response = await onB.SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await client.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Killed at once: whatever B held in memory is gone; the restarted B knows only what the store says.
        await b.KillAsync();
        await b.RestartAsync();

        using (var response = await onB.SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken))
        {
            await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
        }

        using (var response = await onB.SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, bystander.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The session itself is gone too.
        using (var response = await onB.RefreshAsync(client.RefreshToken))
        {
            Assert.Equal(440, (int)response.StatusCode);
        }

        // The same after an orderly restart (SIGTERM, as a rolling update does) of the replica that signed out.
        var stopping = Stopwatch.StartNew();
        Assert.Equal(0, await a.StopAsync());
        output.WriteLine($"A stopped gracefully in {stopping.ElapsedMilliseconds} ms");
        await a.RestartAsync();
        using (var response = await new SessionClient(a.Client, TokenMode.Header).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken))
        {
            await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
        }

        using (var response = await new SessionClient(a.Client, TokenMode.Header).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, bystander.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Sqlite_SignOut_ThenProcessKilledAndStartedAgainOnTheSameDatabase_RefusesTheToken()
    {
        await using var replicas = await GatewayReplicas.StartAsync(1, new ReplicaOptions { Provider = "sqlite" }, output);
        var gateway = replicas[0];
        var client = await replicas.LoginAsync(gateway, TokenMode.Cookie, "frank");
        var accessToken = client.AccessToken!;
        var bystander = await replicas.LoginAsync(gateway, TokenMode.Cookie, "frank-other-device");
        using (var response = await client.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Wire.AssertSessionCleared(response, TokenMode.Cookie);
        }

        await gateway.KillAsync();
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(replicas.ConfigPath)!, "sessions.db")), "the gateway keeps its sessions next to proxy.yaml");
        await gateway.RestartAsync();

        using (var response = await client.SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken))
        {
            await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
        }

        // Not the restart refusing everything: the session that was not signed out still works, and refreshes.
        using (var response = await bystander.GetAsync(GatewayReplicas.ApiPath))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await bystander.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
