using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary><c>POST /api/refresh</c>: rotation, the grace window, theft, unauthorised answers and store outages.</summary>
public sealed class RefreshTests : SessionHarnessTest
{
    private const string Unauthorised = """{"message":"unauthorised"}""";
    private const string TheftDetected = """{"message":"token theft detected"}""";

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_WithCurrentToken_Is200WithNewTokensAndFrontToken(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice", """{"role":"editor"}""");
        var (oldAccess, oldRefresh) = (alice.AccessToken, alice.RefreshToken);
        var handle = alice.FrontToken!.Up.GetProperty("sessionHandle").GetString();
        Harness.Clock.Advance(TimeSpan.FromSeconds(5));

        using var response = await alice.RefreshAsync();

        await Wire.AssertJsonAsync(response, 200, "{}");
        var front = Wire.AssertSessionIssued(response, mode, "alice");
        Assert.NotEqual(oldAccess, alice.AccessToken);
        Assert.NotEqual(oldRefresh, alice.RefreshToken);
        Assert.Equal(handle, front.Up.GetProperty("sessionHandle").GetString());
        Assert.Equal("editor", front.Up.GetProperty("role").GetString());
        Wire.AssertNotForwarded(Harness, SessionHarness.RefreshPath);

        using var retried = await alice.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Refresh_WithOtherMethodThanPost_Is405AndNotForwarded(string method)
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        using var request = new HttpRequestMessage(new HttpMethod(method), SessionHarness.RefreshPath);
        request.Headers.Add("Cookie", "sRefreshToken=" + alice.RefreshToken);

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(Harness, SessionHarness.RefreshPath);

        // Nothing was rotated: the refresh token still works.
        using var refreshed = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Theory]
    [InlineData(TokenMode.Cookie, null)]
    [InlineData(TokenMode.Header, null)]
    [InlineData(TokenMode.Cookie, "garbage")]
    [InlineData(TokenMode.Header, "garbage")]
    public async Task Refresh_WithoutUsableToken_IsExpiredStatusUnauthorisedAndClears(TokenMode mode, string? token)
    {
        var client = Harness.NewClient(mode);

        using var response = await client.RefreshAsync(token);

        await Wire.AssertJsonAsync(response, 440, Unauthorised);
        Wire.AssertSessionCleared(response, mode);
        Wire.AssertNotForwarded(Harness, SessionHarness.RefreshPath);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_AfterRefreshTokenLifetime_IsUnauthorisedAndClears(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        Harness.Clock.Advance(SessionHarness.RefreshTokenLifetime + TimeSpan.FromSeconds(1));

        using var response = await alice.RefreshAsync();

        await Wire.AssertJsonAsync(response, 440, Unauthorised);
        Wire.AssertSessionCleared(response, mode);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_SameTokenTwiceWithinGrace_BothSucceedWithTheSameNextRefreshToken(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        var first = alice.RefreshToken!;

        using var one = await alice.RefreshAsync(first);
        var next = alice.RefreshToken;
        Harness.Clock.Advance(TimeSpan.FromSeconds(10));
        using var two = await alice.RefreshAsync(first);

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Wire.AssertSessionIssued(two, mode, "alice");
        Assert.Equal(next, alice.RefreshToken);

        // No fork: the kept token rotates normally.
        using var three = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, three.StatusCode);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_ConcurrentWithTheSameToken_AllSucceedWithOneNextToken(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        var tabs = Enumerable.Range(0, 6).Select(_ => new SessionClient(Harness.Http, mode) { RefreshToken = alice.RefreshToken }).ToList();

        var responses = await Task.WhenAll(tabs.Select(t => t.RefreshAsync()));

        try
        {
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            Assert.Single(tabs.Select(t => t.RefreshToken).Distinct());
            using var after = await tabs[0].RefreshAsync();
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_PreviousTokenAfterGrace_IsTheftRevokesSessionAndLogs(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        var stolen = alice.RefreshToken!;
        var handle = alice.FrontToken!.Up.GetProperty("sessionHandle").GetString()!;
        using var rotated = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Harness.Clock.Advance(TimeSpan.FromSeconds(31));
        var thief = new SessionClient(Harness.Http, mode);

        using var response = await thief.RefreshAsync(stolen);

        await Wire.AssertJsonAsync(response, 440, TheftDetected);
        Wire.AssertSessionCleared(response, mode);
        await AssertRevokedAsync(alice);
        // Logged once (by the engine, which knows the theft first), with the client's address: not once per layer.
        var warning = Assert.Single(Harness.Gateway.Logs.Entries, e => e.Message.Contains("theft", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(1001, warning.EventId.Id);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("127.0.0.1", warning.Message, StringComparison.Ordinal);
        Assert.Contains("alice", warning.Message, StringComparison.Ordinal);
        Assert.Contains(handle, warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.Gateway.Logs.Entries, e =>
            e.Message.Contains(stolen, StringComparison.Ordinal) || e.Message.Contains(alice.RefreshToken!, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_TokenTwoGenerationsOld_IsTheftEvenWithinGrace(TokenMode mode)
    {
        var alice = await Harness.LoginAsync(mode, "alice");
        var stolen = alice.RefreshToken!;
        using (var one = await alice.RefreshAsync())
        using (var two = await alice.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        }

        using var response = await new SessionClient(Harness.Http, mode).RefreshAsync(stolen);

        await Wire.AssertJsonAsync(response, 440, TheftDetected);
        Wire.AssertSessionCleared(response, mode);
        await AssertRevokedAsync(alice);
    }

    [Fact]
    public async Task Refresh_WithGraceZero_RetryOfThePreviousTokenIsTheft()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { RefreshGracePeriod = "0s" });
        var alice = await harness.LoginAsync(TokenMode.Header, "alice");
        var previous = alice.RefreshToken!;
        using var rotated = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        harness.Clock.Advance(TimeSpan.FromMilliseconds(1));

        using var response = await new SessionClient(harness.Http, TokenMode.Header).RefreshAsync(previous);

        await Wire.AssertJsonAsync(response, 440, TheftDetected);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task Refresh_WithConfiguredExpiredStatus401_UsesItForUnauthorisedAndTryRefresh(TokenMode mode)
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { ExpiredStatusCode = 401 });
        var alice = await harness.LoginAsync(mode, "alice");
        harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));

        using var expired = await alice.GetAsync("/api/x");
        using var refreshWithoutToken = await harness.NewClient(mode).RefreshAsync();

        await Wire.AssertJsonAsync(expired, 401, """{"message":"try refresh token"}""");
        await Wire.AssertJsonAsync(refreshWithoutToken, 401, Unauthorised);
        Wire.AssertSessionCleared(refreshWithoutToken, mode);
    }

    [Fact]
    public async Task Refresh_WhenStoreIsLocked_Is503KeepsTokensAndTheSameTokenWorksAfterwards()
    {
        // Both modes under one lock: each locked refresh currently waits ~30 s (see the BusyTimeout test below).
        var clients = new[] { await Harness.LoginAsync(TokenMode.Cookie, "alice"), await Harness.LoginAsync(TokenMode.Header, "bob") };
        var tokens = clients.Select(c => c.RefreshToken!).ToArray();

        using (var blocker = await LockStoreAsync())
        {
            var responses = await Task.WhenAll(clients.Select(c => c.RefreshAsync()));
            foreach (var response in responses)
            {
                using (response)
                {
                    await Wire.AssertJsonAsync(response, 503, """{"message":"session store unavailable, try again"}""");
                    Assert.Equal("1", Wire.Header(response, "Retry-After"));
                    Wire.AssertSessionUntouched(response);
                }
            }

            await ReleaseAsync(blocker);
        }

        for (var i = 0; i < clients.Length; i++)
        {
            Assert.Equal(tokens[i], clients[i].RefreshToken);
            using var after = await clients[i].RefreshAsync();
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            Assert.NotEqual(tokens[i], clients[i].RefreshToken);
        }
    }

    [Fact]
    public async Task Refresh_HeaderModeWithAStaleCookieToo_UsesTheBearerTokenAndIsNoTheft()
    {
        // A client that moved from cookie to header mode may still send an old sRefreshToken cookie.
        var old = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        var stale = old.RefreshToken!;
        using (var rotated = await old.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        // Past the grace window (so presenting the stale token would be theft), within the access token's life.
        Harness.Clock.Advance(TimeSpan.FromSeconds(45));
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");
        using var request = new HttpRequestMessage(HttpMethod.Post, SessionHarness.RefreshPath);
        request.Headers.Add("rid", "session");
        request.Headers.Add("st-auth-mode", "header");
        request.Headers.Add("Cookie", "sRefreshToken=" + stale);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", alice.RefreshToken);

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("st-refresh-token"));
        using var oldSession = await old.GetAsync("/api/still-alive");
        Assert.Equal(HttpStatusCode.OK, oldSession.StatusCode);
    }

    [Fact]
    public async Task Refresh_WithTwoRefreshTokenCookies_UsesNeitherAndIsNoTheft()
    {
        var alice = await Harness.LoginAsync(TokenMode.Cookie, "alice");
        var stale = alice.RefreshToken!;
        using (var rotated = await alice.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        Harness.Clock.Advance(TimeSpan.FromSeconds(45));
        using var request = new HttpRequestMessage(HttpMethod.Post, SessionHarness.RefreshPath);
        request.Headers.Add("rid", "session");
        request.Headers.Add("Cookie", $"sRefreshToken={stale}; sRefreshToken={alice.RefreshToken}");

        using var response = await Harness.Http.SendAsync(request);

        await Wire.AssertJsonAsync(response, 440, Unauthorised);
        Assert.DoesNotContain(Harness.Gateway.Logs.Entries, e => e.EventId.Id == 2001);
        using var after = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Refresh_WhenStoreIsLocked_AnswersWithinTheBusyTimeout()
    {
        var alice = await Harness.LoginAsync(TokenMode.Header, "alice");

        using var blocker = await LockStoreAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await alice.RefreshAsync();
        watch.Stop();
        await ReleaseAsync(blocker);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        // BusyTimeout is 200ms in the harness; allow generous slack for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"503 took {watch.Elapsed.TotalSeconds:0.0} s with Session:Store:BusyTimeout 200ms");
    }

    [Fact]
    public async Task Login_WhenStoreIsLocked_Is503WithoutTokens()
    {
        var path = Harness.MapLogin("bob");
        var client = Harness.NewClient(TokenMode.Cookie);

        using var blocker = await LockStoreAsync();
        using var response = await client.LoginAsync(path);
        await ReleaseAsync(blocker);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Null(client.AccessToken);
        Assert.Null(Wire.Header(response, "front-token"));
    }

    /// <summary>The session is gone: its refresh token is unauthorised and its access token is refused.</summary>
    private async Task AssertRevokedAsync(SessionClient client)
    {
        using var access = await client.GetAsync("/api/after-revoke");
        // On the replica that revoked it, a revoked session's access token is "try refresh token" at once.
        Assert.Equal(440, (int)access.StatusCode);
        Wire.AssertNotForwarded(Harness, "/api/after-revoke");
        using var refresh = await client.RefreshAsync();
        await Wire.AssertJsonAsync(refresh, 440, Unauthorised);
    }

    /// <summary>Holds SQLite's write lock on the gateway's database from another connection.</summary>
    private async Task<SqliteConnection> LockStoreAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Harness.Gateway.DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE;";
        await begin.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task ReleaseAsync(SqliteConnection connection)
    {
        using var rollback = connection.CreateCommand();
        rollback.CommandText = "ROLLBACK;";
        await rollback.ExecuteNonQueryAsync();
    }
}
