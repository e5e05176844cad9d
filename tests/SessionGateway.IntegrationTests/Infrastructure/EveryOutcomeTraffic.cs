using System.Net;
using Microsoft.Data.Sqlite;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Traffic that makes every access decision and refresh outcome of issue 10's metrics at least once, on a
/// <see cref="SessionHarness"/> gateway: three logins, valid requests, a 401, a 403, a tampered token (440), a rotation,
/// a retry within the grace period, theft, an unknown refresh token, a refresh while the store is locked (503), a
/// sign-out and an expired access token (440).
/// Shared by the in-process instrument test and the Prometheus scrape test, which read the same traffic two ways.
/// </summary>
internal static class EveryOutcomeTraffic
{
    /// <summary>
    /// Runs it; returns what no metric may carry: the user ids, the tokens as issued at login and the session handles.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RunAsync(SessionHarness harness)
    {
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        var bob = await harness.LoginAsync(TokenMode.Header, "bob");
        var carol = await harness.LoginAsync(TokenMode.Cookie, "carol");
        var secrets = new List<string> { "alice", "bob", "carol", alice.AccessToken!, alice.RefreshToken!, bob.AccessToken!, bob.RefreshToken! };
        secrets.AddRange(new[] { alice, bob, carol }.Select(c => c.FrontToken!.Up.GetProperty("sessionHandle").GetString()!));

        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/x")).StatusCode); // forwarded: the HttpClient meter
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await harness.NewClient(TokenMode.Cookie).GetAsync("/api/x")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/admin/x")).StatusCode);
        var tampered = bob.AccessToken![..^2] + (bob.AccessToken[^2] == 'A' ? "BA" : "AA");
        Assert.Equal(440, (int)(await bob.SendAsync(HttpMethod.Get, "/api/x", tampered)).StatusCode);

        // A rotation, a retry of the previous token within the grace period, the same token after it: theft.
        var stolen = alice.RefreshToken!;
        Assert.Equal(HttpStatusCode.OK, (await alice.RefreshAsync()).StatusCode);
        var thief = harness.NewClient(TokenMode.Cookie);
        Assert.Equal(HttpStatusCode.OK, (await thief.RefreshAsync(stolen)).StatusCode);
        harness.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(440, (int)(await thief.RefreshAsync(stolen)).StatusCode);
        Assert.Equal(440, (int)(await harness.NewClient(TokenMode.Cookie).RefreshAsync("not-a-token")).StatusCode);

        // A refresh while another connection holds SQLite's write lock: the store is unavailable (the harness's
        // BusyTimeout is 200 ms), a 503 that keeps bob's tokens.
        await using (var blocker = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = harness.Gateway.DatabasePath, Pooling = false }.ToString()))
        {
            await blocker.OpenAsync();
            await using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE;";
                await begin.ExecuteNonQueryAsync();
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await bob.RefreshAsync()).StatusCode);
            await using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await carol.SignOutAsync()).StatusCode);

        // bob's access token outlives its lifetime: the session-expired status.
        harness.Clock.Advance(SessionHarness.AccessTokenLifetime);
        Assert.Equal(440, (int)(await bob.GetAsync("/api/x")).StatusCode);
        return secrets;
    }
}
