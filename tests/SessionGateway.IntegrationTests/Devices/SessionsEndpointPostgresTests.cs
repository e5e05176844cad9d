using System.Net;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Devices;

/// <summary>"Your devices" with the PostgreSQL store (a fresh schema on the test server; skipped without one).</summary>
public sealed class SessionsEndpointPostgresTests
{
    [SkippableTheory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task ListAndEnd_OnPostgres_OwnSessionsOnlyAndTheEndedOneIsRefused(TokenMode mode)
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraArgs = ["--Session:Store:Provider", "Postgres", "--Session:Store:ConnectionString", schema.ConnectionString],
        });
        List<HttpClient> clients = [];
        try
        {
            var laptop = await DeviceClients.LoginAsync(harness, clients, mode, "alice", "Laptop/1.0");
            var phone = await DeviceClients.LoginAsync(harness, clients, mode, "alice", "Phone/1.0");
            var bob = await DeviceClients.LoginAsync(harness, clients, mode, "bob", "Bob/1.0");

            using var list = await DeviceClients.ListAsync(laptop);
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            var sessions = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
            Assert.Equal(
                new[] { DeviceClients.HandleOf(laptop), DeviceClients.HandleOf(phone) }.Order(StringComparer.Ordinal),
                sessions.Select(s => s.GetProperty("handle").GetString()!).Order(StringComparer.Ordinal));
            Assert.Equal("Phone/1.0", sessions.Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("createdBy").GetProperty("userAgent").GetString());

            using var bobs = await DeviceClients.EndAsync(laptop, DeviceClients.HandleOf(bob));
            Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
            using var bobStill = await bob.GetAsync("/api/bob");
            Assert.Equal(HttpStatusCode.OK, bobStill.StatusCode);

            using var ended = await DeviceClients.EndAsync(laptop, DeviceClients.HandleOf(phone));
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
            using var phoneAccess = await phone.GetAsync("/api/phone");
            Assert.Equal(440, (int)phoneAccess.StatusCode);
            using var phoneRefresh = await phone.RefreshAsync();
            await Wire.AssertJsonAsync(phoneRefresh, 440, """{"message":"unauthorised"}""");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [SkippableFact]
    public async Task WhenPostgresIsDown_ListAndEndAre503AndNobodyIsLoggedOut()
    {
        await using var cluster = await PostgresCluster.CreateAsync();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraArgs = ["--Session:Store:Provider", "Postgres", "--Session:Store:ConnectionString", cluster.ConnectionString],
        });
        List<HttpClient> clients = [];
        try
        {
            var laptop = await DeviceClients.LoginAsync(harness, clients, TokenMode.Cookie, "alice", "Laptop/1.0");
            var phone = await DeviceClients.LoginAsync(harness, clients, TokenMode.Header, "alice", "Phone/1.0");
            await cluster.StopAsync();

            using var list = await DeviceClients.ListAsync(laptop);
            using var end = await DeviceClients.EndAsync(laptop, DeviceClients.HandleOf(phone));
            using var endCurrent = await DeviceClients.EndAsync(laptop, DeviceClients.HandleOf(laptop));

            foreach (var response in new[] { list, end, endCurrent })
            {
                await Wire.AssertJsonAsync(response, 503, """{"message":"session store unavailable, try again"}""");
                Assert.Equal("1", Wire.Header(response, "Retry-After"));
                Wire.AssertSessionUntouched(response);
            }

            // Access tokens are verified locally: both devices still work while the store is down, and after.
            using var phoneDuring = await phone.GetAsync("/api/phone");
            Assert.Equal(HttpStatusCode.OK, phoneDuring.StatusCode);
            await cluster.StartAsync();
            using var listAfter = await DeviceClients.ListAsync(laptop);
            Assert.Equal(HttpStatusCode.OK, listAfter.StatusCode);
            Assert.Equal(2, JsonDocument.Parse(await listAfter.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
