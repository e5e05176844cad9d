using System.Diagnostics;
using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>A session used on several replicas: signed out on one, refused on every other within a second.</summary>
[Collection(ScaleOutCollection.Name)]
public sealed class RevocationAcrossReplicasTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData(TokenMode.Header)]
    [InlineData(TokenMode.Cookie)]
    public async Task SignOutOnC_RefusesTheStillValidAccessTokenOnAAndB_WithinOneSecond(TokenMode mode)
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var replicas = await GatewayReplicas.StartAsync(3, new ReplicaOptions { ConnectionString = schema.ConnectionString }, output);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);

        var client = await replicas.LoginAsync(a, mode, "alice");
        client.Http = b.Client;
        using (var response = await client.GetAsync(GatewayReplicas.ApiPath))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var firstAccessToken = client.AccessToken!;
        using (var response = await client.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.NotEqual(firstAccessToken, client.AccessToken);
        var accessToken = client.AccessToken!;

        // A and B have both verified the token (and cached that) before the sign-out: the revocation must beat the cache.
        foreach (var replica in new[] { a, b })
        {
            client.Http = replica.Client;
            using var response = await client.GetAsync(GatewayReplicas.ApiPath);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        client.Http = c.Client;
        using (var response = await client.SignOutAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Wire.AssertSessionCleared(response, mode);
        }

        var sinceSignOut = Stopwatch.StartNew();
        var delays = await Task.WhenAll(
            RevocationProbe.TimeUntilRefusedAsync(a, mode, accessToken, sinceSignOut),
            RevocationProbe.TimeUntilRefusedAsync(b, mode, accessToken, sinceSignOut));
        output.WriteLine($"{mode} mode: access token refused on A after {delays[0].TotalMilliseconds:0} ms, on B after {delays[1].TotalMilliseconds:0} ms (from the sign-out response on C)");
        Assert.All(delays, delay => Assert.True(delay < RevocationProbe.Limit, $"refused only after {delay.TotalMilliseconds:0} ms"));

        // The signing-out replica refuses at once, and so does every replica for the session's older token.
        using (var response = await new SessionClient(c.Client, mode).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, accessToken))
        {
            await Wire.AssertJsonAsync(response, 440, """{"message":"try refresh token"}""");
        }

        foreach (var replica in replicas.All)
        {
            using var response = await new SessionClient(replica.Client, mode).SendAsync(HttpMethod.Get, GatewayReplicas.ApiPath, firstAccessToken);
            Assert.Equal(440, (int)response.StatusCode);
        }
    }
}
