using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// Legacy login forms (<c>SessionLogin: "form"</c>): a classic server-rendered app behind the gateway, whose login POST
/// answers 302 to its home page with its own cookie on success and 302 back to <c>/app/login?error</c> on failure.
/// </summary>
public sealed class FormLoginTests : IAsyncLifetime
{
    private const string LoginPath = "/app/login";
    private const string AppCookie = "JSESSIONID=app-7f3a; Path=/app; HttpOnly";

    private SessionHarness? _harness;

    private SessionHarness Harness => _harness ?? throw new InvalidOperationException("the harness is not started");

    public async Task InitializeAsync()
    {
        _harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraRoutesYaml = """
                    app-login:
                      ClusterId: app
                      AuthorizationPolicy: anonymous
                      Metadata:
                        SessionLogin: "form"
                      Match:
                        Path: /app/login
                    devise-login:
                      ClusterId: app
                      AuthorizationPolicy: anonymous
                      Metadata:
                        SessionLogin: "form"
                      Match:
                        Path: /users/sign_in
                """,
        });

        // The app: "right" anywhere in the body is the right password, anything else the wrong one.
        Harness.Upstream.Given(Request.Create().WithPath(LoginPath).UsingPost().WithBody((byte[]? body) => body is not null && Encoding.UTF8.GetString(body).Contains("right", StringComparison.Ordinal)))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/app/home").WithHeader("Set-Cookie", AppCookie).WithBody("signed in"));
        Harness.Upstream.Given(Request.Create().WithPath(LoginPath).UsingPost())
            .AtPriority(2)
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/app/login?error").WithBody("wrong password"));
    }

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(TokenMode.Cookie)]
    [InlineData(TokenMode.Header)]
    public async Task FormLogin_AppRedirectsHome_CreatesTheSessionAndKeepsTheAppsCookieAndLocation(TokenMode mode)
    {
        using var response = await PostFormAsync("username=alice&password=right", mode);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/app/home", response.Headers.Location?.OriginalString);
        Assert.Equal("signed in", await response.Content.ReadAsStringAsync());
        Assert.Contains(AppCookie, response.Headers.GetValues("Set-Cookie"), StringComparer.Ordinal);
        AssertSessionIssued(response, mode, "alice");
        Assert.True(response.Headers.CacheControl?.NoStore, "tokens are sent no-store");

        // The next request carries the session: the app sees who it is.
        var client = Harness.NewClient(mode);
        client.AccessToken = AccessToken(response, mode);
        using var home = await client.GetAsync("/app/home");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Equal("alice", Harness.UpstreamRequests("/app/home").Single().Headers!["X-User-Id"].Single());
    }

    [Fact]
    public async Task FormLogin_AppSendsBackToTheLoginPage_CreatesNoSession()
    {
        using var response = await PostFormAsync("username=alice&password=wrong");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/app/login?error", response.Headers.Location?.OriginalString);
        Assert.Equal("wrong password", await response.Content.ReadAsStringAsync());
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task FormLogin_StoreUnavailable_Is503WithoutTheAppsCookieOrASession()
    {
        using var blocker = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Harness.Gateway.DatabasePath, Pooling = false }.ToString());
        await blocker.OpenAsync();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE;";
            await begin.ExecuteNonQueryAsync();
        }

        using var response = await PostFormAsync("username=alice&password=right");

        // The client must not believe it is signed in: neither the gateway's session nor the app's cookie.
        await Wire.AssertJsonAsync(response, 503, """{"message":"session store unavailable, try again"}""");
        Assert.Equal("1", Wire.Header(response, "Retry-After"));
        Wire.AssertSessionUntouched(response);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task FormLogin_FailedWithASessionAlready_LeavesThatSessionAlone()
    {
        var bob = await Harness.LoginAsync(TokenMode.Cookie, "bob");
        using var request = bob.NewRequest(HttpMethod.Post, LoginPath);
        request.Content = Form("username=alice&password=wrong");

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Wire.AssertSessionUntouched(response);
        using var after = await bob.GetAsync("/app/home");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("bob", Harness.UpstreamRequests("/app/home").Single().Headers!["X-User-Id"].Single());
    }

    [Fact]
    public async Task FormLogin_UrlEncodedBody_ReachesTheAppByteForByte()
    {
        // Escapes, '+', an encoded NUL and a byte that is not UTF-8, a repeated field and no trailing newline.
        var body = Encoding.ASCII.GetBytes("csrf=a%2Bb%3D%3D&username=zo%C3%AB&password=right+one&x=%00%FF&x=2&empty=");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded; charset=UTF-8");

        using var response = await Harness.Http.PostAsync(LoginPath, content);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        AssertSessionIssued(response, TokenMode.Cookie, "zoë");
        var received = Harness.UpstreamRequests(LoginPath).Single();
        Assert.Equal(body, received.BodyAsBytes);
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), received.Headers!["Content-Length"].Single());
    }

    [Fact]
    public async Task FormLogin_MultipartBody_ReachesTheAppByteForByteAndNamesTheUser()
    {
        using var form = new MultipartFormDataContent("----form-boundary-42");
        form.Add(new StringContent("zoë"), "username");
        form.Add(new StringContent("right"), "password");
        form.Add(new ByteArrayContent([0, 1, 2, 255, 13, 10, 45, 45]), "avatar", "a.bin");
        var body = await form.ReadAsByteArrayAsync();

        using var response = await Harness.Http.PostAsync(LoginPath, form);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        AssertSessionIssued(response, TokenMode.Cookie, "zoë");
        Assert.Equal(body, Harness.UpstreamRequests(LoginPath).Single().BodyAsBytes);
    }

    [Fact]
    public async Task FormLogin_MultipartUserNameNotUtf8_CreatesNoSession()
    {
        using var form = new MultipartFormDataContent("----form-boundary-43");
        form.Add(new ByteArrayContent([(byte)'z', (byte)'o', 0xEB]), "username"); // "zoë" in Latin-1
        form.Add(new StringContent("right"), "password");

        using var response = await Harness.Http.PostAsync(LoginPath, form);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        AssertNoSession(response);
        AssertLogged(2250, "U+FFFD");
    }

    [Theory]
    [InlineData("application/json", """{"username":"alice","password":"right"}""")]
    [InlineData("text/plain", "username=alice&password=right")]
    public async Task FormLogin_PostThatIsNotAForm_IsForwardedUnchangedWithoutSession(string contentType, string text)
    {
        using var content = new StringContent(text, Encoding.UTF8, contentType);

        using var response = await Harness.Http.PostAsync(LoginPath, content);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/app/home", response.Headers.Location?.OriginalString);
        AssertNoSession(response);
        Assert.Equal(text, Harness.UpstreamRequests(LoginPath).Single().Body);
        AssertLogged(2250, "not a form");
    }

    [Theory]
    [InlineData("password=right", "no field 'username'")]
    [InlineData("username=alice&username=mallory&password=right", "2 values of field 'username'")]
    [InlineData("username=alice&UserName=mallory&password=right", "2 values of field 'username'")]
    [InlineData("username=al%20ice&password=right", "U+0020")]
    [InlineData("username=alice%0A&password=right", "U+000A")]
    [InlineData("username=%FFalice&password=right", "U+FFFD")]
    [InlineData("username=&password=right", "it is empty")]
    public async Task FormLogin_AppSaysSuccessButNoAcceptableUserName_PassesTheAnswerWithoutSession(string body, string reason)
    {
        using var response = await PostFormAsync(body);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/app/home", response.Headers.Location?.OriginalString);
        Assert.Contains(AppCookie, response.Headers.GetValues("Set-Cookie"), StringComparer.Ordinal);
        AssertNoSession(response);
        AssertLogged(2250, reason);
    }

    [Fact]
    public async Task FormLogin_LongerThanTheLimit_IsForwardedWholeWithoutSession()
    {
        var text = "username=alice&password=right&pad=" + new string('p', 64 * 1024);

        using var response = await PostFormAsync(text);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        AssertNoSession(response);
        Assert.Equal(text, Harness.UpstreamRequests(LoginPath).Single().Body);
        AssertLogged(2250, "longer than 65536 bytes");
    }

    [Theory]
    [InlineData("https://evil.example", false)]
    [InlineData("null", false)]
    [InlineData(null, true)]
    [InlineData("self", true)]
    public async Task FormLogin_PostedFromAnotherOrigin_CreatesNoSession(string? origin, bool creates)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath) { Content = Form("username=mallory&password=right") };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "self" ? Harness.Gateway.Address.GetLeftPart(UriPartial.Authority) : origin);
        }

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        if (creates)
        {
            AssertSessionIssued(response, TokenMode.Cookie, "mallory");
        }
        else
        {
            AssertNoSession(response);
            AssertLogged(2250, "another origin");
        }
    }

    [Fact]
    public async Task FormLogin_AppAlsoSendsTheLoginHeader_OnlyTheFormCounts()
    {
        MapAnswer(302, ("Location", "/app/home"), ("X-Session-Create", "mallory"));

        using var response = await PostFormAsync("username=alice&password=whatever");

        AssertSessionIssued(response, TokenMode.Cookie, "alice");
        Assert.Null(Wire.Header(response, "X-Session-Create"));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(301)]
    [InlineData(401)]
    public async Task FormLogin_StatusNotASuccessStatus_CreatesNoSession(int status)
    {
        MapAnswer(status, ("Location", "/app/home"));

        using var response = await PostFormAsync("username=alice&password=right");

        Assert.Equal(status, (int)response.StatusCode);
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task FormLogin_GetOfTheLoginPage_IsPlainForward()
    {
        MapAnswer(303, ("Location", "/app/home"));

        using var response = await Harness.Http.GetAsync(LoginPath);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Wire.AssertSessionUntouched(response);
    }

    [Theory]
    [InlineData("?username=mallory", "query string")]
    [InlineData("?%75sername=mallory", "query string")]
    [InlineData("?UserName=mallory", "query string")]
    [InlineData("?next=%2Fhome;username=mallory", "query string")]
    [InlineData("?user+name=x&username", "query string")]
    public async Task FormLogin_UserFieldAlsoInTheQueryString_CreatesNoSession(string query, string reason)
    {
        // Servlets, Spring, Rails and Flask read a query-string parameter before (or beside) the body's: the app may
        // sign in mallory while the body names alice.
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath + query) { Content = Form("username=alice&password=right") };

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/app/home", response.Headers.Location?.OriginalString);
        Assert.Contains(AppCookie, response.Headers.GetValues("Set-Cookie"), StringComparer.Ordinal);
        AssertNoSession(response);
        AssertLogged(2250, reason);
    }

    [Fact]
    public async Task FormLogin_OtherQueryParameters_StillCreateTheSession()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath + "?next=%2Fapp%2Fhome&usernames=x") { Content = Form("username=alice&password=right") };

        using var response = await Harness.Http.SendAsync(request);

        AssertSessionIssued(response, TokenMode.Cookie, "alice");
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded; charset=iso-8859-1", "username=alice&password=right", "charset")]
    [InlineData("application/x-www-form-urlencoded; charset=\"windows-1252\"", "username=alice&password=right", "charset")]
    [InlineData("application/x-www-form-urlencoded", "_charset_=ISO-8859-1&username=alice&password=right", "_charset_")]
    [InlineData("application/x-www-form-urlencoded", "username=alice;username=mallory&password=right", "';'")]
    [InlineData("application/x-www-form-urlencoded", "password=right;username=mallory&username=alice", "';'")]
    public async Task FormLogin_BodyTheAppMayReadDifferently_CreatesNoSession(string contentType, string body, string reason)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath) { Content = content };

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/app/home", response.Headers.Location?.OriginalString);
        AssertNoSession(response);
        AssertLogged(2250, reason);
        Assert.Equal(body, Harness.UpstreamRequests(LoginPath).Single().Body);
    }

    [Fact]
    public async Task FormLogin_MultipartWithCharsetField_CreatesNoSession()
    {
        using var form = new MultipartFormDataContent("----form-boundary-44");
        form.Add(new StringContent("ISO-8859-1"), "_charset_");
        form.Add(new StringContent("alice"), "username");
        form.Add(new StringContent("right"), "password");

        using var response = await Harness.Http.PostAsync(LoginPath, form);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        AssertNoSession(response);
        AssertLogged(2250, "_charset_");
    }

    [Theory]
    [InlineData("/users/sign_in", false)]
    [InlineData("/users/sign_in/", false)]
    [InlineData("/Users/Sign_In?locale=en", false)]
    [InlineData("sign_in", false)]
    [InlineData("self/users/sign_in", false)]
    [InlineData("/home", true)]
    [InlineData("/authorized-home", true)]
    [InlineData("/users/sign_in/done", true)]
    public async Task FormLogin_DeviseStyleFailureBackToTheSameForm_CreatesNoSession(string location, bool creates)
    {
        // Devise, Rails' /session/new and others answer a wrong password with a redirect back to the form itself,
        // which the default FailureLocation does not match.
        const string devisePath = "/users/sign_in";
        if (location.StartsWith("self", StringComparison.Ordinal))
        {
            location = Harness.Gateway.Address.GetLeftPart(UriPartial.Authority) + location["self".Length..];
        }

        Harness.Upstream.Given(Request.Create().WithPath(devisePath).UsingPost()).AtPriority(0)
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", location).WithBody("the app's answer"));
        using var request = new HttpRequestMessage(HttpMethod.Post, devisePath) { Content = Form("username=alice&password=whatever") };

        using var response = await Harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(location, response.Headers.Location?.OriginalString);
        if (creates)
        {
            AssertSessionIssued(response, TokenMode.Cookie, "alice");
        }
        else
        {
            Wire.AssertSessionUntouched(response);
        }
    }

    /// <summary>Makes the app answer every request to the login path this way (ahead of its own mappings).</summary>
    private void MapAnswer(int status, params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(status).WithBody("the app's answer");
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }

        Harness.Upstream.Given(Request.Create().WithPath(LoginPath).UsingAnyMethod()).AtPriority(0).RespondWith(response);
    }

    /// <summary>The gateway issued a session for <paramref name="userId"/> (beside whatever cookies the app set).</summary>
    private static void AssertSessionIssued(HttpResponseMessage response, TokenMode mode, string userId)
    {
        Assert.Equal(userId, FrontToken.Decode(Wire.Header(response, "front-token")!).Uid);
        Assert.Equal(userId, Wire.JwtPayload(AccessToken(response, mode)).GetProperty("sub").GetString());
        if (mode == TokenMode.Header)
        {
            Assert.DoesNotContain(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sAccessToken", StringComparison.Ordinal));
        }
    }

    /// <summary>No gateway session on the response (the app's own cookies may be there).</summary>
    private static void AssertNoSession(HttpResponseMessage response)
    {
        Assert.Null(Wire.Header(response, "front-token"));
        Assert.Null(Wire.Header(response, "st-access-token"));
        Assert.DoesNotContain(
            response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            c => c.StartsWith("sAccessToken", StringComparison.Ordinal) || c.StartsWith("sRefreshToken", StringComparison.Ordinal));
    }

    private async Task<HttpResponseMessage> PostFormAsync(string body, TokenMode mode = TokenMode.Cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath) { Content = Form(body) };
        if (mode == TokenMode.Header)
        {
            request.Headers.Add("st-auth-mode", "header");
        }

        return await Harness.Http.SendAsync(request);
    }

    private static ByteArrayContent Form(string body)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return content;
    }

    private static string AccessToken(HttpResponseMessage response, TokenMode mode) =>
        mode == TokenMode.Cookie ? Wire.SetCookies(response)["sAccessToken"].Value.ToString() : Wire.Header(response, "st-access-token")!;

    private void AssertLogged(int eventId, string reason) =>
        Assert.Contains(Harness.Gateway.Logs.Entries, e => e.EventId.Id == eventId && e.Level == LogLevel.Warning && e.Message.Contains(reason, StringComparison.Ordinal));
}
