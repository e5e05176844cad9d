using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Devices;

/// <summary>
/// "Your devices" on the traffic listener (<c>GET /api/sessions</c>, <c>DELETE /api/sessions/{handle}</c>): a real
/// gateway on Kestrel with a SQLite store and a WireMock upstream; each "device" is its own HTTP client with its own
/// <c>User-Agent</c>, logging in through the upstream's login route as a browser or an app would.
/// </summary>
public sealed class SessionsEndpointTests : IAsyncLifetime
{
    private const string SessionsPath = "/api/sessions";
    private const string TryRefresh = """{"message":"try refresh token"}""";
    private const string Unauthorised = """{"message":"unauthorised"}""";
    private const string UnknownSession = """{"message":"unknown session"}""";
    private const string LaptopAgent = "Mozilla/5.0 (X11; Linux x86_64) Laptop/1.0";
    private const string PhoneAgent = "Mozilla/5.0 (iPhone) Phone/2.0";

    private readonly List<HttpClient> _clients = [];
    private readonly List<SessionHarness> _harnesses = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var harness in _harnesses)
        {
            await harness.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task List_TwoDevicesOfOneUser_BothListedCurrentMarkedNothingSecret(TokenMode mode)
    {
        var harness = await StartAsync();
        var laptop = await DeviceAsync(harness, mode, "alice", LaptopAgent, """{"role":"secret-role"}""");
        var phone = await DeviceAsync(harness, mode, "alice", PhoneAgent, """{"role":"secret-role"}""");
        var bob = await DeviceAsync(harness, mode, "bob", "Bob/1.0");

        using var response = await ListAsync(laptop);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store expected");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Wire.AssertNotForwarded(harness, SessionsPath);
        var body = await response.Content.ReadAsStringAsync();
        var sessions = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        var mine = Assert.Single(sessions, s => s.GetProperty("handle").GetString() == HandleOf(laptop));
        var other = Assert.Single(sessions, s => s.GetProperty("handle").GetString() == HandleOf(phone));
        Assert.True(mine.GetProperty("current").GetBoolean());
        Assert.False(other.GetProperty("current").GetBoolean());
        Assert.Equal(LaptopAgent, mine.GetProperty("createdBy").GetProperty("userAgent").GetString());
        Assert.Equal(PhoneAgent, other.GetProperty("createdBy").GetProperty("userAgent").GetString());
        Assert.Equal("127.0.0.1", mine.GetProperty("createdBy").GetProperty("address").GetString());
        Assert.Equal("127.0.0.1", other.GetProperty("createdBy").GetProperty("address").GetString());
        Assert.Equal(JsonValueKind.Null, other.GetProperty("lastRefreshAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, other.GetProperty("lastRefreshBy").ValueKind);
        var now = DateTimeOffset.UtcNow;
        Assert.InRange(other.GetProperty("createdAt").GetDateTimeOffset(), now.AddMinutes(-1), now.AddMinutes(1));
        Assert.InRange(other.GetProperty("expiresAt").GetDateTimeOffset(), now.AddMinutes(59), now.AddMinutes(61));
        // Nothing secret: exactly these fields, no claims, no anti-CSRF token, no hashes; and never another user's.
        foreach (var session in sessions)
        {
            Assert.Equal(
                ["createdAt", "createdBy", "current", "expiresAt", "handle", "lastRefreshAt", "lastRefreshBy"],
                session.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }

        Assert.DoesNotContain("secret-role", body, StringComparison.Ordinal);
        Assert.DoesNotContain(HandleOf(bob), body, StringComparison.Ordinal);
        Assert.DoesNotContain(laptop.RefreshToken!, body, StringComparison.Ordinal);

        // The phone's own list is the same two sessions, with the phone marked.
        using var fromPhone = await ListAsync(phone);
        var phoneView = await SessionsInAsync(fromPhone);
        Assert.Equal(2, phoneView.Count);
        Assert.True(Assert.Single(phoneView, s => s.GetProperty("current").GetBoolean()).GetProperty("handle").GetString() == HandleOf(phone));
    }

    [Fact]
    public async Task List_AfterARefresh_ShowsTheRefreshingClient()
    {
        var harness = await StartAsync();
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Header, "alice", PhoneAgent);
        harness.Clock.Advance(TimeSpan.FromSeconds(5));
        using (var refreshed = await phone.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        }

        using var response = await ListAsync(laptop);

        var other = (await SessionsInAsync(response))
            .Single(s => s.GetProperty("handle").GetString() == HandleOf(phone));
        Assert.Equal(PhoneAgent, other.GetProperty("lastRefreshBy").GetProperty("userAgent").GetString());
        Assert.Equal("127.0.0.1", other.GetProperty("lastRefreshBy").GetProperty("address").GetString());
        Assert.True(other.GetProperty("lastRefreshAt").GetDateTimeOffset() > other.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task End_MyOtherSession_Is204AndItsTokensAreRefusedAtOnce(TokenMode mode)
    {
        var harness = await StartAsync(antiCsrf: "custom-header");
        var laptop = await DeviceAsync(harness, mode, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, mode, "alice", PhoneAgent);

        using var response = await EndAsync(laptop, HandleOf(phone));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Wire.AssertSessionUntouched(response);
        Wire.AssertNotForwarded(harness, SessionsPath + "/" + HandleOf(phone));
        using var access = await phone.GetAsync("/api/after");
        Assert.Equal(440, (int)access.StatusCode);
        Wire.AssertNotForwarded(harness, "/api/after");
        using var refresh = await phone.RefreshAsync();
        await Wire.AssertJsonAsync(refresh, 440, Unauthorised);
        // The caller's own session lives on, and the list shows it alone.
        using var still = await laptop.GetAsync("/api/still");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        using var list = await ListAsync(laptop);
        var left = Assert.Single(await SessionsInAsync(list));
        Assert.Equal(HandleOf(laptop), left.GetProperty("handle").GetString());
        // Ending it again: it is gone.
        using var again = await EndAsync(laptop, HandleOf(phone));
        await Wire.AssertJsonAsync(again, 404, UnknownSession);
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task End_AnotherUsersSession_Is404LikeAnUnknownOneAndChangesNothing(TokenMode mode)
    {
        var harness = await StartAsync();
        var alice = await DeviceAsync(harness, mode, "alice", LaptopAgent);
        var bob = await DeviceAsync(harness, mode, "bob", PhoneAgent);

        using var someoneElses = await EndAsync(alice, HandleOf(bob));
        using var unknown = await EndAsync(alice, "no-such-session-handle");

        await Wire.AssertJsonAsync(someoneElses, 404, UnknownSession);
        await Wire.AssertJsonAsync(unknown, 404, UnknownSession);
        Wire.AssertSessionUntouched(someoneElses);
        using var bobsAccess = await bob.GetAsync("/api/bob");
        Assert.Equal(HttpStatusCode.OK, bobsAccess.StatusCode);
        using var bobsRefresh = await bob.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, bobsRefresh.StatusCode);
        using var bobsList = await ListAsync(bob);
        Assert.Equal(HandleOf(bob), Assert.Single(await SessionsInAsync(bobsList)).GetProperty("handle").GetString());
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task End_TheCurrentSession_IsASignOutThatClearsTheTokens(TokenMode mode)
    {
        var harness = await StartAsync(antiCsrf: "custom-header");
        var laptop = await DeviceAsync(harness, mode, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, mode, "alice", PhoneAgent);

        using var response = await EndAsync(laptop, HandleOf(laptop));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Wire.AssertSessionCleared(response, mode);
        using var access = await laptop.GetAsync("/api/after");
        Assert.Equal(440, (int)access.StatusCode);
        using var refresh = await laptop.RefreshAsync();
        await Wire.AssertJsonAsync(refresh, 440, Unauthorised);
        using var other = await phone.GetAsync("/api/other");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task End_CustomHeaderMode_CookieRequestWithoutRid_IsRefusedLikeSignOut()
    {
        var harness = await StartAsync(antiCsrf: "custom-header");
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Cookie, "alice", PhoneAgent);

        // A cross-site form or fetch without CORS cannot add the header: refused as a protected route refuses it.
        using var forged = await EndAsync(laptop, HandleOf(phone), antiCsrf: false);

        await Wire.AssertJsonAsync(forged, 440, TryRefresh);
        Wire.AssertSessionUntouched(forged);
        using var phoneAccess = await phone.GetAsync("/api/phone");
        Assert.Equal(HttpStatusCode.OK, phoneAccess.StatusCode);
        using var real = await EndAsync(laptop, HandleOf(phone));
        Assert.Equal(HttpStatusCode.NoContent, real.StatusCode);
    }

    [Theory]
    [InlineData(null, 440)]
    [InlineData("wrong", 440)]
    [InlineData("RIGHT", 204)]
    public async Task End_TokenMode_CookieRequestMustEchoTheAntiCsrfToken(string? sent, int expected)
    {
        var harness = await StartAsync(antiCsrf: "token");
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Cookie, "alice", PhoneAgent);
        using var request = laptop.NewRequest(HttpMethod.Delete, SessionsPath + "/" + HandleOf(phone));
        request.Headers.Add("rid", "session");
        if (sent is not null)
        {
            request.Headers.Add("anti-csrf", sent == "RIGHT" ? laptop.AntiCsrfToken : sent);
        }

        using var response = await laptop.Http.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        using var phoneAccess = await phone.GetAsync("/api/phone");
        Assert.Equal(expected == 204 ? 440 : 200, (int)phoneAccess.StatusCode);
    }

    [Fact]
    public async Task End_HeaderMode_NeedsNoAntiCsrfHeader()
    {
        var harness = await StartAsync(antiCsrf: "token");
        var laptop = await DeviceAsync(harness, TokenMode.Header, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Header, "alice", PhoneAgent);

        using var response = await EndAsync(laptop, HandleOf(phone), antiCsrf: false);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [InlineData("GET", SessionsPath)]
    [InlineData("DELETE", SessionsPath + "/some-handle")]
    public async Task WithoutSession_Is401(string method, string path)
    {
        var harness = await StartAsync();
        var nobody = harness.NewClient(TokenMode.Cookie);

        using var response = await nobody.SendAsync(new HttpMethod(method), path);

        await Wire.AssertJsonAsync(response, 401, Unauthorised);
        Wire.AssertNotForwarded(harness, path);
    }

    [Theory]
    [InlineData(TokenMode.Cookie, "GET")]
    [InlineData(TokenMode.Header, "GET")]
    [InlineData(TokenMode.Cookie, "DELETE")]
    [InlineData(TokenMode.Header, "DELETE")]
    public async Task WithExpiredAccessToken_IsTryRefreshAndKeepsTheSession(TokenMode mode, string method)
    {
        var harness = await StartAsync();
        var laptop = await DeviceAsync(harness, mode, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, mode, "alice", PhoneAgent);
        harness.Clock.Advance(SessionHarness.AccessTokenLifetime + TimeSpan.FromSeconds(2));

        using var response = method == "GET" ? await ListAsync(laptop) : await EndAsync(laptop, HandleOf(phone));

        await Wire.AssertJsonAsync(response, 440, TryRefresh);
        Wire.AssertSessionUntouched(response);
        using var refreshed = await phone.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task Head_OfTheList_IsTheGetAnswerWithoutABody_AndNeedsASession()
    {
        var harness = await StartAsync();
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);

        using var head = await laptop.SendAsync(HttpMethod.Head, SessionsPath);
        using var anonymous = await harness.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, SessionsPath));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType);
        Assert.True(head.Headers.CacheControl?.NoStore, "Cache-Control: no-store expected");
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Wire.AssertNotForwarded(harness, SessionsPath);
    }

    [Theory]
    [InlineData("POST", SessionsPath, "GET,HEAD")]
    [InlineData("DELETE", SessionsPath, "GET,HEAD")]
    [InlineData("GET", SessionsPath + "/some-handle", "DELETE")]
    [InlineData("POST", SessionsPath + "/some-handle", "DELETE")]
    public async Task OtherMethods_Are405WithAllowAndNotForwarded(string method, string path, string allow)
    {
        var harness = await StartAsync();
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);

        using var response = await laptop.SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(",", response.Content.Headers.Allow));
        Wire.AssertNotForwarded(harness, path);
    }

    [Fact]
    public async Task End_WhenTheStoreIsDown_Is503AndChangesNothing()
    {
        var harness = await StartAsync();
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Cookie, "alice", PhoneAgent);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = harness.Gateway.DatabasePath, Pooling = false }.ToString());
        await using (connection)
        {
            await connection.OpenAsync();
            using (var begin = connection.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE;";
                await begin.ExecuteNonQueryAsync();
            }

            using var response = await EndAsync(laptop, HandleOf(phone));

            await Wire.AssertJsonAsync(response, 503, """{"message":"session store unavailable, try again"}""");
            Assert.NotNull(response.Headers.RetryAfter);
            Wire.AssertSessionUntouched(response);
            using var rollback = connection.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        using var phoneAccess = await phone.GetAsync("/api/phone");
        Assert.Equal(HttpStatusCode.OK, phoneAccess.StatusCode);
        using var laptopAccess = await laptop.GetAsync("/api/laptop");
        Assert.Equal(HttpStatusCode.OK, laptopAccess.StatusCode);
    }

    [Fact]
    public async Task Cors_FromAnAllowedOrigin_PreflightAllowsDeleteAndTheListIsReadable()
    {
        const string origin = "https://app.example.test";
        var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { CorsOrigin = origin });
        _harnesses.Add(harness);
        var laptop = await DeviceAsync(harness, TokenMode.Cookie, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Cookie, "alice", PhoneAgent);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, SessionsPath + "/" + HandleOf(phone));
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "DELETE");
        preflight.Headers.Add("Access-Control-Request-Headers", "rid");
        using var evil = new HttpRequestMessage(HttpMethod.Options, SessionsPath + "/" + HandleOf(phone));
        evil.Headers.Add("Origin", "https://evil.example.test");
        evil.Headers.Add("Access-Control-Request-Method", "DELETE");
        using var list = laptop.NewRequest(HttpMethod.Get, SessionsPath);
        list.Headers.Add("Origin", origin);

        using var preflightResponse = await harness.Http.SendAsync(preflight);
        using var evilResponse = await harness.Http.SendAsync(evil);
        using var listResponse = await harness.Http.SendAsync(list);

        Assert.True(preflightResponse.IsSuccessStatusCode, "preflight answered " + preflightResponse.StatusCode);
        Assert.Equal(origin, Wire.Header(preflightResponse, "Access-Control-Allow-Origin"));
        Assert.Contains("DELETE", Wire.Header(preflightResponse, "Access-Control-Allow-Methods") ?? "", StringComparison.Ordinal);
        Assert.Null(Wire.Header(evilResponse, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, listResponse.StatusCode);
        Assert.Equal(origin, Wire.Header(listResponse, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Wire.Header(listResponse, "Access-Control-Allow-Credentials"));
        Wire.AssertNotForwarded(harness, SessionsPath + "/" + HandleOf(phone));
    }

    [Fact]
    public async Task SessionsPath_IsConfigurable()
    {
        var harness = await StartAsync(extraSessionYaml: "  SessionsPath: /account/devices");
        var laptop = await DeviceAsync(harness, TokenMode.Header, "alice", LaptopAgent);
        var phone = await DeviceAsync(harness, TokenMode.Header, "alice", PhoneAgent);

        using var list = await laptop.GetAsync("/account/devices");
        using var end = await laptop.SendAsync(HttpMethod.Delete, "/account/devices/" + HandleOf(phone));
        using var old = await laptop.GetAsync(SessionsPath);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, end.StatusCode);
        // The default path is now an ordinary /api/* path: forwarded like any other.
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        Assert.Equal("upstream ok", await old.Content.ReadAsStringAsync());
    }

    private async Task<SessionHarness> StartAsync(string antiCsrf = "auto", string? extraSessionYaml = null)
    {
        var harness = await SessionHarness.StartAsync(new SessionHarnessOptions { AntiCsrf = antiCsrf, ExtraSessionYaml = extraSessionYaml });
        _harnesses.Add(harness);
        return harness;
    }

    private Task<SessionClient> DeviceAsync(SessionHarness harness, TokenMode mode, string userId, string userAgent, string? claimsJson = null) =>
        DeviceClients.LoginAsync(harness, _clients, mode, userId, userAgent, claimsJson);

    private static string HandleOf(SessionClient client) => DeviceClients.HandleOf(client);

    private static Task<HttpResponseMessage> ListAsync(SessionClient client) => DeviceClients.ListAsync(client);

    /// <summary>The sessions a list answer holds.</summary>
    private static async Task<List<JsonElement>> SessionsInAsync(HttpResponseMessage list) =>
        JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();

    private static Task<HttpResponseMessage> EndAsync(SessionClient client, string handle, bool antiCsrf = true) =>
        DeviceClients.EndAsync(client, handle, antiCsrf);
}
