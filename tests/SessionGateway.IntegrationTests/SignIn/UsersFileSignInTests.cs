using System.Diagnostics;
using System.Net;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.SignIn;

/// <summary>
/// <c>Session:Login:UsersFile</c>: sign-in with an htpasswd file (bcrypt) at <c>POST /api/signin</c>, JSON or the
/// built-in page's form, against the real gateway and a real file that is edited while it runs.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class UsersFileSignInTests : IDisposable
{
    private const string SignInPath = "/api/signin";
    private const string WrongCredentials = """{"message":"wrong credentials"}""";

    // Made by Debian's apache2-utils: htpasswd -nbB demo secret (revision $2y$, htpasswd's default cost 5).
    private const string HtpasswdDemoLine = "demo:$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2";

    private readonly string _directory = Directory.CreateTempSubdirectory("sg-users-").FullName;

    public UsersFileSignInTests()
    {
        UsersPath = Path.Combine(_directory, "users.htpasswd");
    }

    private string UsersPath { get; }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Line(string user, string password, int cost = 5) => user + ":" + BCrypt.Net.BCrypt.HashPassword(password, cost);

    private async Task WriteUsersAsync(params string[] lines)
    {
        // Written whole and renamed into place, as editors and Kubernetes do: the gateway never reads half a file.
        var temp = UsersPath + ".tmp";
        await File.WriteAllTextAsync(temp, string.Join('\n', lines) + "\n");
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, UsersPath, overwrite: true);
    }

    private Task<SessionHarness> StartAsync(string? extraSessionYaml = null) => SessionHarness.StartAsync(new SessionHarnessOptions
    {
        ExtraSessionYaml = $"  Login:\n    UsersFile: {UsersPath}" + (extraSessionYaml is null ? "" : "\n" + extraSessionYaml),
    });

    private static async Task<HttpResponseMessage> SignInJsonAsync(HttpClient http, string user, string password, bool rid = true, string? authMode = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SignInPath)
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { username = user, password }), Encoding.UTF8, "application/json"),
        };
        if (rid)
        {
            request.Headers.Add("rid", "session");
        }

        if (authMode is not null)
        {
            request.Headers.Add("st-auth-mode", authMode);
        }

        return await http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SignInFormAsync(SessionHarness harness, string form, string? origin = "self", string? referer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SignInPath)
        {
            Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "self" ? harness.Gateway.Address.GetLeftPart(UriPartial.Authority) : origin);
        }

        if (referer is not null)
        {
            request.Headers.Add("Referer", referer);
        }

        return await harness.Http.SendAsync(request);
    }

    private static string Form(string user, string password, string? redirect = null) =>
        "username=" + Uri.EscapeDataString(user) + "&password=" + Uri.EscapeDataString(password) +
        (redirect is null ? "" : "&redirect=" + Uri.EscapeDataString(redirect));

    /// <summary>The session in <paramref name="response"/> reaches the upstream as the user.</summary>
    private static async Task AssertSessionWorksAsync(SessionHarness harness, HttpResponseMessage response, TokenMode mode, string userId)
    {
        Wire.AssertSessionIssued(response, mode, userId);
        var client = harness.NewClient(mode);
        client.AccessToken = mode == TokenMode.Cookie ? Wire.SetCookies(response)["sAccessToken"].Value.ToString() : Wire.Header(response, "st-access-token");
        using var api = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        var seen = Assert.Single(harness.UpstreamRequests("/api/me"));
        Assert.Equal(userId, seen.Headers!["X-User-Id"].Single());
    }

    private static async Task<bool> SignsInAsync(SessionHarness harness, string user, string password)
    {
        using var response = await SignInJsonAsync(harness.Http, user, password);
        return response.StatusCode == HttpStatusCode.OK;
    }

    [Fact]
    public async Task Json_RightPassword_CreatesACookieSession_TheUpstreamSeesTheUser()
    {
        await WriteUsersAsync(Line("alice", "correct horse"), Line("bob", "battery staple"));
        await using var harness = await StartAsync();

        using var response = await SignInJsonAsync(harness.Http, "alice", "correct horse");

        await Wire.AssertJsonAsync(response, 200, """{"status":"OK","user":{"id":"alice"}}""");
        Assert.Equal("no-store", Wire.Header(response, "Cache-Control"));
        await AssertSessionWorksAsync(harness, response, TokenMode.Cookie, "alice");
        Assert.Contains(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2235 && e.Message.Contains("alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_HeaderMode_TokensInHeaders()
    {
        await WriteUsersAsync(Line("alice", "correct horse"));
        await using var harness = await StartAsync();

        using var response = await SignInJsonAsync(harness.Http, "alice", "correct horse", authMode: "header");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertSessionWorksAsync(harness, response, TokenMode.Header, "alice");
    }

    [Fact]
    public async Task WrongPassword_AndUnknownUser_GetTheSame401_AndNoSession()
    {
        await WriteUsersAsync(Line("alice", "correct horse"));
        await using var harness = await StartAsync();

        using var wrongPassword = await SignInJsonAsync(harness.Http, "alice", "Correct horse");
        using var unknownUser = await SignInJsonAsync(harness.Http, "mallory", "correct horse");
        using var emptyPassword = await SignInJsonAsync(harness.Http, "alice", "");

        foreach (var response in new[] { wrongPassword, unknownUser, emptyPassword })
        {
            await Wire.AssertJsonAsync(response, 401, WrongCredentials);
            Wire.AssertSessionUntouched(response);
        }

        // Neither the name nor the password is logged (people type passwords into the name field).
        Assert.Equal(3, harness.Gateway.Logs.Entries.Count(e => e.EventId.Id == 2236));
        Assert.DoesNotContain(harness.Gateway.Logs.Entries, e => e.Message.Contains("mallory", StringComparison.Ordinal) || e.Message.Contains("horse", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HashMadeByHtpasswd_Verifies()
    {
        await WriteUsersAsync(HtpasswdDemoLine);
        await using var harness = await StartAsync();

        Assert.True(await SignsInAsync(harness, "demo", "secret"));
        Assert.False(await SignsInAsync(harness, "demo", "Secret"));
    }

    [SkippableFact]
    public async Task HashMadeNowByHtpasswd_Verifies()
    {
        // tests/run-all.sh and tests/browser/run.sh install Debian's apache2-utils when it is missing.
        var htpasswd = new[] { "/usr/bin/htpasswd", "/usr/local/bin/htpasswd" }.FirstOrDefault(File.Exists);
        Skip.If(htpasswd is null, "htpasswd (Debian's apache2-utils) is not installed");
        var start = new ProcessStartInfo(htpasswd!, ["-nbB", "-C", "6", "zoë", "pässwörd with spaces"]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var line = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        Assert.StartsWith("zoë:$2y$06$", line, StringComparison.Ordinal);
        await WriteUsersAsync(line);
        await using var harness = await StartAsync();

        Assert.True(await SignsInAsync(harness, "zoë", "pässwörd with spaces"));
        Assert.False(await SignsInAsync(harness, "zoë", "passwörd with spaces"));
    }

    [Fact]
    public async Task Reload_AddsAUser_RemovesAUser_AndABrokenEditKeepsTheLastGoodFile()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();
        Assert.False(await SignsInAsync(harness, "bob", "b-pass"));

        await WriteUsersAsync(Line("alice", "a-pass"), Line("bob", "b-pass"));
        await TestGateway.WaitUntilAsync(() => SignsInAsync(harness, "bob", "b-pass"), "bob can sign in");

        await WriteUsersAsync(Line("bob", "b-pass"));
        await TestGateway.WaitUntilAsync(async () => !await SignsInAsync(harness, "alice", "a-pass"), "alice can no longer sign in");
        Assert.True(await SignsInAsync(harness, "bob", "b-pass"));

        // A line that is not user:hash: the whole edit is refused, bob stays, the error names the file and line.
        await WriteUsersAsync(Line("carol", "c-pass"), "this line has no colon");
        await TestGateway.WaitUntilAsync(() => Task.FromResult(harness.Gateway.Logs.Entries.Any(e => e.EventId.Id == 2232)), "the broken edit is logged");
        var rejected = harness.Gateway.Logs.Entries.First(e => e.EventId.Id == 2232);
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.Contains(UsersPath + "' line 2", rejected.Message, StringComparison.Ordinal);
        Assert.True(await SignsInAsync(harness, "bob", "b-pass"));
        Assert.False(await SignsInAsync(harness, "carol", "c-pass"));
    }

    [Fact]
    public async Task OtherHashKinds_AreRefused_WithTheFileAndLineLogged_OthersStillSignIn()
    {
        await WriteUsersAsync(
            Line("alice", "a-pass"),
            "plain:a-pass",
            "sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", // htpasswd -nbs sha password
            "md5:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", // the apr1 shape
            "crypt:rqXexS6ZhobKA");
        await using var harness = await StartAsync();

        Assert.True(await SignsInAsync(harness, "alice", "a-pass"));
        Assert.False(await SignsInAsync(harness, "plain", "a-pass"));
        Assert.False(await SignsInAsync(harness, "sha", "password"));
        var refused = harness.Gateway.Logs.Entries.Where(e => e.EventId.Id == 2231).Select(e => e.Message).ToList();
        Assert.Equal(4, refused.Count);
        Assert.Contains(refused, m => m.Contains(UsersPath + " line 2 refused: the password is a crypt(3) hash or a plain-text password", StringComparison.Ordinal));
        Assert.Contains(refused, m => m.Contains("line 3 refused: the password is a SHA-1 hash", StringComparison.Ordinal));
        Assert.Contains(refused, m => m.Contains("line 4 refused: the password is an MD5 (apr1) hash", StringComparison.Ordinal));
        Assert.DoesNotContain(harness.Gateway.Logs.Entries, e => e.Message.Contains("W6ph5Mm5", StringComparison.Ordinal) || e.Message.Contains("a-pass", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFileReadableByOthers_IsWarnedAbout()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        File.SetUnixFileMode(UsersPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var harness = await StartAsync();

        var warning = Assert.Single(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2234);
        Assert.Contains("mode 0644", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimited_WithTheLoginPolicy()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync("  RateLimits:\n    Login:\n      PermitLimit: 2\n      Window: 1m");

        Assert.True(await SignsInAsync(harness, "alice", "a-pass"));
        Assert.False(await SignsInAsync(harness, "alice", "wrong"));
        using var limited = await SignInJsonAsync(harness.Http, "alice", "a-pass");

        await Wire.AssertJsonAsync(limited, 429, """{"message":"too many requests, try again later"}""");
        Assert.Equal("60", Wire.Header(limited, "Retry-After"));
        Wire.AssertSessionUntouched(limited);
    }

    [Fact]
    public async Task Form_RightPassword_RedirectsToTheLocalTarget_WithACookieSession()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();

        using var response = await SignInFormAsync(harness, Form("alice", "a-pass", "/app/inbox?folder=1"));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/app/inbox?folder=1", Wire.Header(response, "Location"));
        await AssertSessionWorksAsync(harness, response, TokenMode.Cookie, "alice");

        using var noTarget = await SignInFormAsync(harness, Form("alice", "a-pass"));
        Assert.Equal("/", Wire.Header(noTarget, "Location"));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("evil")]
    public async Task Form_ForeignRedirect_GoesHomeInstead(string target)
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();

        using var response = await SignInFormAsync(harness, Form("alice", "a-pass", target));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/", Wire.Header(response, "Location"));

        using var wrong = await SignInFormAsync(harness, Form("alice", "wrong", target));
        Assert.Equal(SignInPath + "?error=1", Wire.Header(wrong, "Location"));

        using var page = await harness.Http.GetAsync(SignInPath + "?redirect=" + Uri.EscapeDataString(target));
        Assert.DoesNotContain("name=\"redirect\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_RedirectPastAscii_IsFollowedPercentEncoded_NotA500AfterTheSession()
    {
        // Kestrel sends ASCII header values only: /café in Location was a 500 with the session already made.
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();

        using var response = await SignInFormAsync(harness, Form("alice", "a-pass", "/café?x=ü"));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/caf%C3%A9?x=%C3%BC", Wire.Header(response, "Location"));
        Wire.AssertSessionIssued(response, TokenMode.Cookie, "alice");
    }

    [Theory]
    [InlineData(17, 8)]
    [InlineData(3, 65)]
    public async Task Form_OverTheReadersLimits_Is400_NotA500(int fields, int keyLength)
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();
        var form = Form("alice", "a-pass") + string.Concat(Enumerable.Range(0, fields - 2).Select(i => "&" + new string('k', keyLength - 2) + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + "=v"));

        using var response = await SignInFormAsync(harness, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task Form_WrongPassword_GoesBackToThePageWithTheError_KeepingTheTarget()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();

        using var response = await SignInFormAsync(harness, Form("nobody", "a-pass", "/app?x=1"));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(SignInPath + "?error=1&redirect=%2Fapp%3Fx%3D1", Wire.Header(response, "Location"));
        Wire.AssertSessionUntouched(response);

        using var page = await harness.Http.GetAsync(Wire.Header(response, "Location"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Wrong user name or password.", html, StringComparison.Ordinal);
        Assert.Contains("<input type=\"hidden\" name=\"redirect\" value=\"/app?x=1\">", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example", null)]
    [InlineData("null", null)]
    [InlineData(null, "https://evil.example/login")]
    [InlineData(null, null)]
    public async Task Form_FromAnotherSite_IsRefused_LoginCsrf(string? origin, string? referer)
    {
        await WriteUsersAsync(Line("attacker", "attacker-pass"));
        await using var harness = await StartAsync();

        using var response = await SignInFormAsync(harness, Form("attacker", "attacker-pass"), origin, referer);

        await Wire.AssertJsonAsync(response, 403, """{"message":"sign-in refused: the form was not posted from this site (anti-CSRF)"}""");
        Wire.AssertSessionUntouched(response);
        Assert.Contains(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2238);
    }

    [Fact]
    public async Task Form_WithASameSiteRefererAndNoOrigin_IsAccepted_AndAnAllowedOriginToo()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            CorsOrigin = "https://app.example.com",
            ExtraSessionYaml = $"  Login:\n    UsersFile: {UsersPath}",
        });

        using var byReferer = await SignInFormAsync(harness, Form("alice", "a-pass"), origin: null, referer: harness.Gateway.Address + "api/signin");
        Assert.Equal(HttpStatusCode.SeeOther, byReferer.StatusCode);
        Assert.Equal("/", Wire.Header(byReferer, "Location"));

        using var allowed = await SignInFormAsync(harness, Form("alice", "a-pass"), origin: "https://app.example.com");
        Assert.Equal(HttpStatusCode.SeeOther, allowed.StatusCode);

        // Another port of the same host is another origin.
        using var otherPort = await SignInFormAsync(harness, Form("alice", "a-pass"), origin: $"http://127.0.0.1:{harness.Gateway.Address.Port + 1}");
        Assert.Equal(HttpStatusCode.Forbidden, otherPort.StatusCode);
    }

    [Fact]
    public async Task Form_WithTwoOriginHeaders_IsRefused_OverARawSocket()
    {
        await WriteUsersAsync(Line("attacker", "attacker-pass"));
        await using var harness = await StartAsync();
        var body = Form("attacker", "attacker-pass");
        string Post(params string[] origins) => RawClient.Request("POST", SignInPath,
            [.. origins.Select(o => "Origin: " + o), "Content-Type: application/x-www-form-urlencoded", $"Content-Length: {body.Length}"]) + body;

        // RawClient sends Host: 127.0.0.1, so the gateway's own origin is http://127.0.0.1.
        var own = await RawClient.SendAsync(harness.Gateway.Address, Post("http://127.0.0.1"));
        var twice = await RawClient.SendAsync(harness.Gateway.Address, Post("http://127.0.0.1", "https://evil.example"));
        var twiceReversed = await RawClient.SendAsync(harness.Gateway.Address, Post("https://evil.example", "http://127.0.0.1"));

        Assert.Equal(303, own.Status);
        Assert.Equal(403, twice.Status);
        Assert.Equal(403, twiceReversed.Status);
        Assert.Null(twice.Header("Set-Cookie"));
    }

    [Fact]
    public async Task Json_WithoutRid_IsRefused()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();

        using var response = await SignInJsonAsync(harness.Http, "alice", "a-pass", rid: false);

        await Wire.AssertJsonAsync(response, 403, """{"message":"sign-in refused: the rid header is missing (anti-CSRF)"}""");
        Wire.AssertSessionUntouched(response);
    }

    [Fact]
    public async Task Page_IsPlainHtml_WithACspThatAllowsNoScript_AndShowsTheErrorOnlyWhenAsked()
    {
        await WriteUsersAsync(Line("alice", "a-pass"));
        await using var harness = await StartAsync();

        using var page = await harness.Http.GetAsync(SignInPath + "?redirect=%2Fapp");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
        var csp = Wire.Header(page, "Content-Security-Policy")!;
        Assert.StartsWith("default-src 'none'; style-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<form method=\"post\" action=\"/api/signin\">", html, StringComparison.Ordinal);
        Assert.Contains("<input type=\"hidden\" name=\"redirect\" value=\"/app\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Wrong user name or password", html, StringComparison.Ordinal);

        using var withError = await harness.Http.GetAsync(SignInPath + "?error=1");
        Assert.Contains("Wrong user name or password.", await withError.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var put = await harness.Http.PutAsync(SignInPath, new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Wire.AssertNotForwarded(harness, SignInPath);
    }

    [Fact]
    public async Task WithoutAUsersFile_ThePathIsRoutedAsBefore()
    {
        await using var harness = await SessionHarness.StartAsync();
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");

        // The api route of the harness: a session is required, and the request reaches the upstream.
        using var anonymous = await harness.Http.GetAsync(SignInPath);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var forwarded = await alice.GetAsync(SignInPath);
        Assert.Equal("upstream ok", await forwarded.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null, "cannot read")]
    [InlineData("alice", "line 1 is not 'user:hash'")]
    [InlineData("al ice:$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2", "line 1: the user name cannot be a user id")]
    public async Task AnUnusableFile_IsAConfigErrorNamingTheKeyAndTheFile(string? content, string problem)
    {
        if (content is not null)
        {
            await WriteUsersAsync(content);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync());

        Assert.Contains("Session:Login:UsersFile: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(UsersPath, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
