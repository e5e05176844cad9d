using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.IntegrationTests.ScaleOut;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Admin;

/// <summary>
/// The admin API of the built gateway, as an operator uses it: on the management port, with the key from a file;
/// sessions listed and revoked, the audit trail read. In the gateway-process collection (one at a time).
/// </summary>
[Collection(ScaleOutCollection.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The gateways are disposed by IAsyncLifetime.DisposeAsync")]
public sealed class AdminApiProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly AdminGateway _admin = new();

    // IAsyncLifetime, not IAsyncDisposable: xUnit 2 never calls the latter on a test class, which left every
    // gateway process of these tests running after the run.
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _admin.ReportAndDisposeAsync(output);

    [Fact]
    public async Task EveryEndpoint_WithoutTheKeyOrWithAWrongOne_Is401WithWwwAuthenticate_AndChangesNothing()
    {
        var gateway = await _admin.StartAsync();
        var mia = await _admin.LoginAsync(_admin.MapLogin("mia", "mia"), "browser/1");
        var handle = Assert.Single((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/mia/sessions")).EnumerateArray()).GetProperty("handle").GetString()!;
        var eventsBefore = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events")).GetProperty("events").GetArrayLength();

        var wrongKeys = new (string? Authorization, string Challenge)[]
        {
            (null, "Bearer"),
            ("Bearer " + _admin.Key[..^1] + (_admin.Key[^1] == 'A' ? 'B' : 'A'), "Bearer error=\"invalid_token\""), // one character off
            ("Bearer " + _admin.Key[..^1], "Bearer error=\"invalid_token\""),                                     // a prefix
            ("Bearer " + _admin.Key + "x", "Bearer error=\"invalid_token\""),                                     // longer
            ("Bearer " + _admin.Key.ToLowerInvariant(), "Bearer error=\"invalid_token\""),                        // another case
            ("Basic " + _admin.Key, "Bearer error=\"invalid_token\""),                                            // another scheme
            ("Bearer ", "Bearer error=\"invalid_token\""),                                                         // empty
            (_admin.Key, "Bearer error=\"invalid_token\""),                                                        // no scheme
        };
        var requests = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Get, "/admin/users/mia/sessions"),
            (HttpMethod.Delete, "/admin/users/mia/sessions"),
            (HttpMethod.Delete, "/admin/sessions/" + handle),
            (HttpMethod.Get, "/admin/events"),
            (HttpMethod.Get, "/admin/events?type=session.created"),
        };
        foreach (var (authorization, challenge) in wrongKeys)
        {
            foreach (var (method, path) in requests)
            {
                var (status, body, response) = await _admin.SendAsync(method, path, authorization);
                using (response)
                {
                    Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path} with '{authorization}': {(int)status} {body}");
                    Assert.Equal(challenge, response.Headers.WwwAuthenticate.ToString());
                    Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                    Assert.StartsWith("unauthorised", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
                    Assert.DoesNotContain(_admin.Key, body, StringComparison.Ordinal);
                }
            }
        }

        // Nothing changed: the session is listed and works, and the audit trail has no new event.
        Assert.Equal(handle, Assert.Single((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/mia/sessions")).EnumerateArray()).GetProperty("handle").GetString());
        using (var api = await mia.GetAsync("/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        }

        Assert.Equal(eventsBefore, (await _admin.AdminAsync(HttpMethod.Get, "/admin/events")).GetProperty("events").GetArrayLength());

        // One warning for the lot (at most one a minute), without the key or the values presented.
        Assert.Equal(1, CountOf(gateway.Output, "[5101]"));
        Assert.DoesNotContain(_admin.Key, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_admin.Key.ToLowerInvariant(), gateway.Output, StringComparison.Ordinal);

        // On the traffic port the key opens nothing: the admin paths are the routes' (here none: a session is required).
        using var traffic = new HttpRequestMessage(HttpMethod.Get, "/admin/users/mia/sessions");
        traffic.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _admin.Key);
        using var refused = await gateway.Client.SendAsync(traffic);
        await Wire.AssertJsonAsync(refused, 401, """{"message":"unauthorised"}""");
    }

    [Fact]
    public async Task AdminPaths_OnTheTrafficPort_GoToTheRouteThatMatchesThem_NeverToTheAdminApi()
    {
        var gateway = await _admin.StartAsync(routes: """
                app-admin:
                  ClusterId: app
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /admin/{**rest}
            """);
        await _admin.LoginAsync(_admin.MapLogin("mia", "mia"), "browser/1");

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/admin/users/mia/sessions"), (HttpMethod.Delete, "/admin/users/mia/sessions"),
            (HttpMethod.Get, "/admin/events"), (HttpMethod.Get, "/admin/openapi.json"),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _admin.Key);
            using var response = await gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("upstream ok", await response.Content.ReadAsStringAsync());
            var forwarded = _admin.Upstream.LogEntries;
            Assert.Equal(path, forwarded[forwarded.Count - 1].RequestMessage.Path);
        }

        // The DELETE went to the app: mia's session is still there.
        Assert.Single((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/mia/sessions")).EnumerateArray());
    }

    [Fact]
    public async Task ListSessions_TwoLoginsOfOneUser_BothWithTheirClaimsAndTheClientsSeenAtLoginAndLastRefresh()
    {
        await _admin.StartAsync();
        // A user id with a slash: one path segment when percent-encoded.
        const string user = "team/ann";
        var laptop = await _admin.LoginAsync(_admin.MapLogin("ann-laptop", user, """{"role":"admin","tenant":{"id":7}}"""), "laptop-browser/1.0");
        var phone = await _admin.LoginAsync(_admin.MapLogin("ann-phone", user, """{"role":"viewer"}"""), "phone-app/2.0");
        phone.Http = AdminGateway.ClientWithUserAgent(_admin[0], "phone-app/2.1");
        using (var refresh = await phone.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        }

        var sessions = (await _admin.AdminAsync(HttpMethod.Get, "/admin/users/team%2Fann/sessions")).EnumerateArray().ToList();
        output.WriteLine(JsonSerializer.Serialize(sessions));

        Assert.Equal(2, sessions.Count);
        var first = sessions.Single(s => s.GetProperty("handle").GetString() == Handle(laptop));
        var second = sessions.Single(s => s.GetProperty("handle").GetString() == Handle(phone));
        Assert.Equal(
            ["claims", "createdAt", "createdBy", "expiresAt", "handle", "lastRefreshAt", "lastRefreshBy"],
            first.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        Assert.Equal("""{"role":"admin","tenant":{"id":7}}""", first.GetProperty("claims").GetRawText());
        Assert.Equal("""{"address":"127.0.0.1","userAgent":"laptop-browser/1.0"}""", first.GetProperty("createdBy").GetRawText());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("lastRefreshAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("lastRefreshBy").ValueKind);
        var created = first.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(DateTimeOffset.UtcNow - created, TimeSpan.Zero - TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2));
        Assert.InRange(first.GetProperty("expiresAt").GetDateTimeOffset() - created, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61)); // RefreshTokenLifetime 1h

        Assert.Equal("""{"role":"viewer"}""", second.GetProperty("claims").GetRawText());
        Assert.Equal("""{"address":"127.0.0.1","userAgent":"phone-app/2.0"}""", second.GetProperty("createdBy").GetRawText());
        Assert.Equal("""{"address":"127.0.0.1","userAgent":"phone-app/2.1"}""", second.GetProperty("lastRefreshBy").GetRawText());
        Assert.True(second.GetProperty("lastRefreshAt").GetDateTimeOffset() >= second.GetProperty("createdAt").GetDateTimeOffset());

        // Nothing secret in the listing.
        var text = JsonSerializer.Serialize(sessions);
        foreach (var secret in new[] { laptop.AccessToken!, laptop.RefreshToken!, phone.AccessToken!, phone.RefreshToken! })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        // The id is read exactly: "team%2Fann" (sent as team%252Fann) is another user, and "team" is nobody.
        Assert.Empty((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/team%252Fann/sessions")).EnumerateArray());
        Assert.Empty((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/team/sessions")).EnumerateArray());
        Assert.Equal(2, (await _admin.AdminAsync(HttpMethod.Get, "/admin/users/team%2fann/sessions")).GetArrayLength());
        // An unknown path under /admin, and a known one with another method.
        await _admin.AdminAsync(HttpMethod.Get, "/admin/users/team%2Fann", HttpStatusCode.NotFound);
        var (status, _, response) = await _admin.SendAsync(HttpMethod.Post, "/admin/users/team%2Fann/sessions", "Bearer " + _admin.Key);
        using (response)
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
            Assert.Equal(["DELETE", "GET", "HEAD"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task RevokeOne_ItsAccessTokenRefusedWithinOneSecond_ItsRefreshTokenRefused_TheUsersOtherSessionWorks()
    {
        var gateway = await _admin.StartAsync();
        var login = _admin.MapLogin("bob", "bob");
        var revoked = await _admin.LoginAsync(login, "browser/1");
        var other = await _admin.LoginAsync(login, "browser/2");
        // Verified (and cached) before the revocation: the revocation must beat the cache.
        using (var api = await revoked.GetAsync(GatewayReplicas.ApiPath))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        }

        await _admin.AdminAsync(HttpMethod.Delete, "/admin/sessions/" + Handle(revoked), HttpStatusCode.NoContent);
        var since = Stopwatch.StartNew();
        var delay = await RevocationProbe.TimeUntilRefusedAsync(gateway, TokenMode.Header, revoked.AccessToken!, since);
        output.WriteLine($"access token refused {delay.TotalMilliseconds:0} ms after the admin's 204");
        Assert.True(delay < RevocationProbe.Limit, $"refused only after {delay.TotalMilliseconds:0} ms");

        using (var refresh = await revoked.RefreshAsync())
        {
            await Wire.AssertJsonAsync(refresh, 440, """{"message":"unauthorised"}""");
        }

        using (var api = await other.GetAsync(GatewayReplicas.ApiPath))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        }

        using (var refresh = await other.RefreshAsync())
        {
            Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        }

        var left = Assert.Single((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/bob/sessions")).EnumerateArray());
        Assert.Equal(Handle(other), left.GetProperty("handle").GetString());

        // Gone is gone, and a handle nobody has is no session either.
        var again = await _admin.AdminAsync(HttpMethod.Delete, "/admin/sessions/" + Handle(revoked), HttpStatusCode.NotFound);
        Assert.False(string.IsNullOrEmpty(again.GetProperty("message").GetString()));
        await _admin.AdminAsync(HttpMethod.Delete, "/admin/sessions/no-such-handle", HttpStatusCode.NotFound);

        // The audit trail names the admin's revocation, with the admin's client.
        var events = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=bob&type=session.revoked")).GetProperty("events");
        var revocation = Assert.Single(events.EnumerateArray());
        Assert.Equal(("session.revoked", "admin", Handle(revoked), "127.0.0.1"), (
            revocation.GetProperty("type").GetString(), revocation.GetProperty("kind").GetString(),
            revocation.GetProperty("sessionHandle").GetString(), revocation.GetProperty("clientAddress").GetString()));
    }

    [Fact]
    public async Task RevokeOne_AnExpiredSessionTheSweeperHasNotRemoved_Is404_WritesNoEvent_TheLiveOneIsRevoked()
    {
        await _admin.StartAsync();
        var login = _admin.MapLogin("frank", "frank");
        var expired = await _admin.LoginAsync(login, "browser/1");
        var live = await _admin.LoginAsync(login, "browser/2");

        // Expired a minute ago, still in the store (as between two sweeps): the store is the gateway's SQLite file.
        await using (var store = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_admin.Folder, "sessions.db"), Pooling = false }.ToString()))
        {
            await store.OpenAsync();
            await using var update = store.CreateCommand();
            update.CommandText = "UPDATE sessions SET expires_at = $past WHERE handle = $handle;";
            update.Parameters.AddWithValue("$past", DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());
            update.Parameters.AddWithValue("$handle", Handle(expired));
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        // The list does not show it, and the revocation of it is what the docs say: no live session has the handle.
        var listed = (await _admin.AdminAsync(HttpMethod.Get, "/admin/users/frank/sessions")).EnumerateArray().Select(x => x.GetProperty("handle").GetString());
        Assert.Equal([Handle(live)], listed);
        var missing = await _admin.AdminAsync(HttpMethod.Delete, "/admin/sessions/" + Handle(expired), HttpStatusCode.NotFound);
        Assert.Equal("no live session has this handle", missing.GetProperty("message").GetString());
        await _admin.AdminAsync(HttpMethod.Delete, "/admin/sessions/" + Handle(live), HttpStatusCode.NoContent);

        var revocations = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=frank&type=session.revoked")).GetProperty("events");
        Assert.Equal([Handle(live)], revocations.EnumerateArray().Select(e => e.GetProperty("sessionHandle").GetString()));
    }

    [Fact]
    public async Task Head_OnTheGetPaths_AnswersAsGetWithoutABody_WithTheKeyOnly_AndAnotherMethodIs405WithAllow()
    {
        await _admin.StartAsync();
        await _admin.LoginAsync(_admin.MapLogin("gina", "gina"), "browser/1");

        foreach (var path in new[] { "/admin/users/gina/sessions", "/admin/events?userId=gina", "/admin/openapi.json" })
        {
            var (status, body, response) = await _admin.SendAsync(HttpMethod.Head, path, "Bearer " + _admin.Key);
            using (response)
            {
                Assert.True(status == HttpStatusCode.OK, $"HEAD {path}: {(int)status}");
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("", body);
            }
        }

        // The key is needed for HEAD as for GET (the document excepted).
        var (refused, _, refusal) = await _admin.SendAsync(HttpMethod.Head, "/admin/events", authorization: null);
        refusal.Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, refused);

        var (notAllowed, _, rejection) = await _admin.SendAsync(HttpMethod.Put, "/admin/events", "Bearer " + _admin.Key);
        using (rejection)
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, notAllowed);
            Assert.Equal(["GET", "HEAD"], rejection.Content.Headers.Allow.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task RevokeAll_RevokesBothSessions_BothRefused_ThenNothingLeft()
    {
        var gateway = await _admin.StartAsync();
        var login = _admin.MapLogin("carol", "carol");
        var one = await _admin.LoginAsync(login, "browser/1");
        var two = await _admin.LoginAsync(login, "browser/2");
        var someoneElse = await _admin.LoginAsync(_admin.MapLogin("dave", "dave"), "browser/3");

        var answer = await _admin.AdminAsync(HttpMethod.Delete, "/admin/users/carol/sessions");
        Assert.Equal("""{"revoked":2}""", answer.GetRawText());
        var since = Stopwatch.StartNew();
        var delays = await Task.WhenAll(
            RevocationProbe.TimeUntilRefusedAsync(gateway, TokenMode.Header, one.AccessToken!, since),
            RevocationProbe.TimeUntilRefusedAsync(gateway, TokenMode.Header, two.AccessToken!, since));
        Assert.All(delays, delay => Assert.True(delay < RevocationProbe.Limit, $"refused only after {delay.TotalMilliseconds:0} ms"));
        foreach (var client in new[] { one, two })
        {
            using var refresh = await client.RefreshAsync();
            await Wire.AssertJsonAsync(refresh, 440, """{"message":"unauthorised"}""");
        }

        Assert.Empty((await _admin.AdminAsync(HttpMethod.Get, "/admin/users/carol/sessions")).EnumerateArray());
        Assert.Equal("""{"revoked":0}""", (await _admin.AdminAsync(HttpMethod.Delete, "/admin/users/carol/sessions")).GetRawText());
        using (var api = await someoneElse.GetAsync(GatewayReplicas.ApiPath))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        }

        var revocations = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=carol&type=session.revoked")).GetProperty("events");
        Assert.Equal(
            new[] { Handle(one), Handle(two) }.Order(StringComparer.Ordinal),
            revocations.EnumerateArray().Select(e => e.GetProperty("sessionHandle").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AuditTrail_AfterATheft_ShowsTheTheftWithItsKindAndTheThiefsClient_PagesWithAfter_FiltersByTypeAndSince()
    {
        await _admin.StartAsync();
        var login = _admin.MapLogin("erin", "erin");
        var victim = await _admin.LoginAsync(login, "victim-browser/1");
        var stolen = victim.RefreshToken!;
        for (var i = 0; i < 2; i++)
        {
            using var refresh = await victim.RefreshAsync();
            Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        }

        var thief = new SessionClient(AdminGateway.ClientWithUserAgent(_admin[0], "thief-tool/6.6"), TokenMode.Header);
        using (var theft = await thief.RefreshAsync(stolen))
        {
            await Wire.AssertJsonAsync(theft, 440, """{"message":"token theft detected"}""");
        }

        var later = await _admin.LoginAsync(login, "victim-browser/2");
        await later.SignOutAsync();

        // The whole of erin's trail, oldest first: created, theft, created, signed out.
        var all = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=erin")).GetProperty("events").EnumerateArray().ToList();
        output.WriteLine(JsonSerializer.Serialize(all));
        Assert.Equal(
            ["session.created", "session.theft_detected", "session.created", "session.signed_out"],
            all.Select(e => e.GetProperty("type").GetString()));
        var theftEvent = all[1];
        Assert.Equal(
            ["clientAddress", "cursor", "id", "kind", "occurredAt", "sessionHandle", "type", "userAgent", "userId"],
            theftEvent.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(("older_generation", "erin", Handle(victim), "127.0.0.1", "thief-tool/6.6"), (
            theftEvent.GetProperty("kind").GetString(), theftEvent.GetProperty("userId").GetString(), theftEvent.GetProperty("sessionHandle").GetString(),
            theftEvent.GetProperty("clientAddress").GetString(), theftEvent.GetProperty("userAgent").GetString()));
        Assert.Equal(JsonValueKind.Null, all[0].GetProperty("kind").ValueKind);
        Assert.Equal("victim-browser/1", all[0].GetProperty("userAgent").GetString());
        var ids = all.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.Order(), ids);

        // Filter by type.
        var thefts = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?type=session.theft_detected")).GetProperty("events");
        Assert.Equal(ids[1], Assert.Single(thefts.EnumerateArray()).GetProperty("id").GetInt64());
        var two = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=erin&type=session.theft_detected&type=session.signed_out")).GetProperty("events");
        Assert.Equal([ids[1], ids[3]], two.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        var commas = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=erin&type=session.theft_detected,session.signed_out")).GetProperty("events");
        Assert.Equal([ids[1], ids[3]], commas.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));

        // Since: the time of the theft (an offset's '+' percent-encoded, as the docs say) keeps it and what followed.
        var since = Uri.EscapeDataString(theftEvent.GetProperty("occurredAt").GetString()!);
        var fromTheft = (await _admin.AdminAsync(HttpMethod.Get, $"/admin/events?userId=erin&since={since}")).GetProperty("events");
        Assert.Equal(ids.Skip(1), fromTheft.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        var future = (await _admin.AdminAsync(HttpMethod.Get, "/admin/events?since=2100-01-01T00:00:00Z")).GetProperty("events");
        Assert.Empty(future.EnumerateArray());

        // Paging: full pages name the next cursor, the last page none.
        var seen = new List<long>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await _admin.AdminAsync(HttpMethod.Get, "/admin/events?userId=erin&limit=3" + (after is null ? "" : "&after=" + after));
            seen.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            pages++;
        }
        while (after is not null && pages < 10);
        Assert.Equal(ids, seen);
        Assert.Equal(2, pages);

        // Following the tail: after= the cursor of the last event held (or, as before cursors, its bare id) lists what
        // came after it, and nothing once it is the last.
        var cursors = all.Select(e => e.GetProperty("cursor").GetString()!).ToList();
        var fromCursor = (await _admin.AdminAsync(HttpMethod.Get, $"/admin/events?userId=erin&after={cursors[1]}")).GetProperty("events");
        Assert.Equal(ids.Skip(2), fromCursor.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        var fromId = (await _admin.AdminAsync(HttpMethod.Get, $"/admin/events?userId=erin&after={ids[1]}")).GetProperty("events");
        Assert.Equal(ids.Skip(2), fromId.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        var tail = await _admin.AdminAsync(HttpMethod.Get, $"/admin/events?userId=erin&after={cursors[^1]}");
        Assert.Empty(tail.GetProperty("events").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, tail.GetProperty("next").ValueKind);

        // Bad queries are 400 with a message naming the parameter.
        foreach (var (query, names) in new[]
        {
            ("type=session.stolen", "type"), ("type=", "type"), ("since=yesterday", "since"), ("since=2026-11-27T09:30:00 01:00", "since"),
            ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("after=-1", "after"), ("after=abc", "after"), ("after=1.2.3", "after"), ("after=1.", "after"),
            ("user=erin", "user"), ("limit=1&limit=2", "limit"),
        })
        {
            var problem = await _admin.AdminAsync(HttpMethod.Get, "/admin/events?" + query, HttpStatusCode.BadRequest);
            Assert.Contains(names, problem.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OpenApiDocument_ParsesAndDescribesExactlyTheAdminEndpoints_WithTheBearerScheme()
    {
        var gateway = await _admin.StartAsync();
        // No key needed for the document; the operations it describes need one.
        var (status, body, response) = await _admin.SendAsync(HttpMethod.Get, "/admin/openapi.json", authorization: null);
        response.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        // No server taken from the request's Host header: clients use the URL they fetched the document from.
        Assert.False(root.TryGetProperty("servers", out _));

        var operations = root.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            ["DELETE /admin/sessions/{handle}", "DELETE /admin/users/{userId}/sessions", "GET /admin/events", "GET /admin/users/{userId}/sessions"],
            operations);

        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("adminApiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(Assert.Single(root.GetProperty("security").EnumerateArray()).TryGetProperty("adminApiKey", out _));
        var parameters = root.GetProperty("paths").GetProperty("/admin/events").GetProperty("get").GetProperty("parameters")
            .EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.Equal(["after", "limit", "since", "type", "userId"], parameters.Keys.Order(StringComparer.Ordinal));

        // Typed as the API reads and writes them: integers are integers (not "integer or string with a pattern"), the
        // limit an integer from 1 to 1000, since a date-time, type an array of the four types, the cursor a string.
        Assert.Equal(("integer", "1", "1000", 100), (
            parameters["limit"].GetProperty("type").GetString(), parameters["limit"].GetProperty("minimum").GetRawText(),
            parameters["limit"].GetProperty("maximum").GetRawText(), parameters["limit"].GetProperty("default").GetInt32()));
        Assert.Equal(("string", "date-time"), (parameters["since"].GetProperty("type").GetString(), parameters["since"].GetProperty("format").GetString()));
        Assert.Equal("string", parameters["after"].GetProperty("type").GetString());
        Assert.Equal(
            ["session.created", "session.revoked", "session.signed_out", "session.theft_detected"],
            parameters["type"].GetProperty("items").GetProperty("enum").EnumerateArray().Select(t => t.GetString()).Order(StringComparer.Ordinal));
        var schemas = root.GetProperty("components").GetProperty("schemas");
        foreach (var (schema, property) in new[] { ("AdminEvent", "id"), ("RevokedSessions", "revoked") })
        {
            var described = schemas.GetProperty(schema).GetProperty("properties").GetProperty(property);
            Assert.True(described.GetProperty("type").ValueKind == JsonValueKind.String, $"{schema}.{property}: {described}");
            Assert.Equal("integer", described.GetProperty("type").GetString());
            Assert.False(described.TryGetProperty("pattern", out _), $"{schema}.{property}: {described}");
        }

        Assert.Equal("string", schemas.GetProperty("AdminEvent").GetProperty("properties").GetProperty("cursor").GetProperty("type").GetString());

        // Not on the traffic port.
        using var traffic = await gateway.Client.GetAsync("/admin/openapi.json");
        Assert.Equal(HttpStatusCode.Unauthorized, traffic.StatusCode);
    }

    [Fact]
    public async Task NoKey_TheAdminApiIsOff_ItsPathsAre404OnTheManagementPort()
    {
        var gateway = await _admin.StartAsync(adminKey: false);
        await _admin.LoginAsync(_admin.MapLogin("mia", "mia"), "browser/1");

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/admin/users/mia/sessions"), (HttpMethod.Delete, "/admin/users/mia/sessions"),
            (HttpMethod.Get, "/admin/events"), (HttpMethod.Get, "/admin/openapi.json"),
        })
        {
            var (status, body, response) = await _admin.SendAsync(method, path, "Bearer " + _admin.Key);
            response.Dispose();
            Assert.True(status == HttpStatusCode.NotFound, $"{method} {path}: {(int)status} {body}");
            Assert.Equal("""{"message":"not found: the management listener serves /healthz, /readyz and /metrics"}""", body);
        }

        Assert.DoesNotContain("[5104]", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyWithoutAManagementListener_IsRefusedAtStart_ExitCode2NamingTheKey()
    {
        var path = Path.Combine(_admin.Folder, "no-management.yaml");
        await File.WriteAllTextAsync(path, $$"""
            Session:
              Admin:
                ApiKeyFile: {{_admin.KeyFile}}
            ReverseProxy:
              Routes: {}
              Clusters: {}
            """);
        var (exitCode, stdout, stderr) = await GatewayProcess.RunToExitAsync(path, environment: null, TimeSpan.FromSeconds(60));
        output.WriteLine(stdout + stderr);
        Assert.Equal(2, exitCode);
        Assert.Contains("Session:Admin:ApiKeyFile", stderr, StringComparison.Ordinal);
        Assert.Contains("Session:Management:Urls", stderr, StringComparison.Ordinal);

        // Too short a key, given inline through the environment as in development: refused too, never printed.
        const string shortKey = "short-key-0123456789";
        var inline = Path.Combine(_admin.Folder, "inline.yaml");
        await File.WriteAllTextAsync(inline, "ReverseProxy:\n  Routes: {}\n  Clusters: {}\n");
        (exitCode, stdout, stderr) = await GatewayProcess.RunToExitAsync(inline, new Dictionary<string, string>
        {
            ["Session__Admin__ApiKey"] = shortKey,
            ["Session__Management__Urls"] = $"http://127.0.0.1:{LoopbackPorts.Free()}",
        }, TimeSpan.FromSeconds(60));
        output.WriteLine(stdout + stderr);
        Assert.Equal(2, exitCode);
        Assert.Contains("Session:Admin:ApiKey", stderr, StringComparison.Ordinal);
        Assert.Contains("too short", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(shortKey, stdout + stderr, StringComparison.Ordinal);
    }

    private static string Handle(SessionClient client) => Wire.JwtPayload(client.AccessToken!).GetProperty("sessionHandle").GetString()!;

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
