using System.Net;
using System.Text.Json;
using Npgsql;
using SessionGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>Replicas rolled out together on an empty database agree on one signing key.</summary>
[Collection(ScaleOutCollection.Name)]
public sealed class SigningKeysAcrossReplicasTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task ThreeReplicasStartedTogetherOnAnEmptyDatabase_OneCurrentKey_SameJwks_TokensVerifyEverywhere()
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(3, new ReplicaOptions { ConnectionString = schema.ConnectionString }, output);

        var jwks = new List<string>();
        foreach (var replica in replicas.All)
        {
            using var response = await replica.Client.GetAsync(".well-known/jwks.json");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            jwks.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.All(jwks, document => Assert.Equal(jwks[0], document));
        using (var document = JsonDocument.Parse(jwks[0]))
        {
            Assert.NotEqual(0, document.RootElement.GetProperty("keys").GetArrayLength());
        }

        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM signing_keys WHERE signs_from <= now() AND now() < signs_until", connection);
            Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
        }

        // A token minted by any replica is accepted by every other one.
        var clients = new List<(GatewayProcess Issuer, SessionClient Client)>();
        foreach (var replica in replicas.All)
        {
            clients.Add((replica, await replicas.LoginAsync(replica, TokenMode.Header, "dave-" + replica.Name)));
        }

        foreach (var (issuer, client) in clients)
        {
            foreach (var verifier in replicas.All.Where(r => r != issuer))
            {
                using var response = await new SessionClient(verifier.Client, TokenMode.Header).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, client.AccessToken);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"token from {issuer.Name} on {verifier.Name}: {(int)response.StatusCode}");
            }
        }
    }
}
