using System.Text;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// The user id in the upstream's <c>X-Session-Create</c> is read as UTF-8, and refused (502 with the gateway's JSON
/// body and a warning naming the reason) when it holds whitespace, control or formatting characters, since HTTP
/// turns NUL, bare CR and line folding into spaces on the way and the id would be somebody else's. The upstream here
/// answers with raw bytes, as an app can.
/// </summary>
public sealed class LoginHeaderTests : RawUpstreamHarnessTest
{
    private const string LoginPath = "/login/form";


    [Fact]
    public async Task Utf8UserId_LogsInEndToEnd()
    {
        Upstream.RespondWith(LoginPath, "HTTP/1.1 200 OK\r\nX-Session-Create: " + Utf8Bytes("zoë") + "\r\nX-Session-Claims: " + Utf8Bytes("""{"role":"rédactrice"}"""));

        var login = await LoginAsync();

        Assert.Equal(200, login.Status);
        Assert.Equal("welcome", login.Body);
        var front = FrontToken.Decode(login.Header("front-token")!);
        Assert.Equal("zoë", front.Uid);
        Assert.Equal("zoë", front.Up.GetProperty("sub").GetString());
        Assert.Null(login.Header("X-Session-Create"));

        var accessToken = login.Headers.Where(h => h.Key == "Set-Cookie").Select(h => h.Value)
            .Single(v => v.StartsWith("sAccessToken=", StringComparison.Ordinal)).Split(';')[0]["sAccessToken=".Length..];
        var me = await RawClient.GetAsync(Harness.Gateway.Address, "/api/me", "Cookie: sAccessToken=" + accessToken);

        Assert.Equal(200, me.Status);
        var seen = Upstream.Requests.Single(r => r.Target == "/api/me");
        Assert.Equal("zo%C3%AB", seen.Header("X-User-Id"));
        Assert.Equal("r%C3%A9dactrice", seen.Header("X-User-Role"));
    }

    [Theory]
    [InlineData("alice\0evil", "U+0020")]
    [InlineData("alice\revil", "U+0020")]
    [InlineData("alice\r\n evil", "U+0020")]
    [InlineData("alice\r\n\tevil", "U+0020")]
    [InlineData("alice evil", "U+0020")]
    [InlineData("alice\tevil", "U+0009")]
    [InlineData("alice\u0001evil", "U+0001")]
    [InlineData("alice\u007fevil", "U+007F")]
    [InlineData("alice\u00e9", "not UTF-8")]
    [InlineData("alice\u00c2\u0085evil", "U+0085")]
    [InlineData("alice\u00c2\u00a0evil", "U+00A0")]
    [InlineData("alice\u00e2\u0080\u00a8evil", "U+2028")]
    [InlineData("alice\u00e2\u0080\u00aeevil", "U+202E")]
    [InlineData("alice\u00e2\u0080\u008b", "U+200B")]
    [InlineData("alice\u00ef\u00bf\u00bd", "U+FFFD")]
    public async Task UserIdWithControlOrWhitespace_IsRefusedWithAReason(string rawBytes, string reason)
    {
        Upstream.RespondWith(LoginPath, "HTTP/1.1 200 OK\r\nX-Session-Create: " + rawBytes);

        var login = await LoginAsync();

        Assert.Equal(502, login.Status);
        Assert.Equal("""{"message":"the upstream asked for a session with an invalid user id"}""", login.Body);
        Assert.Equal("application/json", login.Header("Content-Type"));
        Assert.Null(login.Header("front-token"));
        Assert.Null(login.Header("Set-Cookie"));
        Assert.Null(login.Header("X-Session-Create"));
        var warning = Assert.Single(Harness.Gateway.Logs.Entries, e => e.EventId.Id == 2120);
        Assert.Contains(reason, warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(warning.Message, c => char.IsControl(c) || c > '~');
        Assert.DoesNotContain("evil", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin\t")]
    [InlineData(" admin")]
    [InlineData("\t admin \t")]
    public async Task UserIdWithSurroundingWhitespace_IsTheTrimmedId_AResidualTheUpstreamMustAvoid(string rawBytes)
    {
        // Whitespace around a field value is HTTP's optional whitespace (RFC 9110 5.5), not part of the value: the
        // HTTP client drops it while parsing, before any handler sees the header (NonValidated included), so the
        // gateway cannot tell "admin\t" from "admin". Documented in docs/security.md and docs/protocol.md.
        Upstream.RespondWith(LoginPath, "HTTP/1.1 200 OK\r\nX-Session-Create: " + rawBytes);

        var login = await LoginAsync();

        Assert.Equal(200, login.Status);
        Assert.Equal("admin", FrontToken.Decode(login.Header("front-token")!).Uid);
    }

    [Fact]
    public async Task UserIdOfOnlyNonAsciiLetters_IsAccepted()
    {
        Upstream.RespondWith(LoginPath, "HTTP/1.1 200 OK\r\nX-Session-Create: " + Utf8Bytes("用户-Ωμέγα-😀"));

        var login = await LoginAsync();

        Assert.Equal(200, login.Status);
        Assert.Equal("用户-Ωμέγα-😀", FrontToken.Decode(login.Header("front-token")!).Uid);
    }

    [Fact]
    public async Task ClaimsThatAreNotUtf8_AreRefused()
    {
        Upstream.RespondWith(LoginPath, "HTTP/1.1 200 OK\r\nX-Session-Create: alice\r\nX-Session-Claims: {\"role\":\"r\u00e9dactrice\"}");

        var login = await LoginAsync();

        Assert.Equal(502, login.Status);
        Assert.Equal("""{"message":"the upstream asked for a session with invalid claims"}""", login.Body);
        Assert.Null(login.Header("front-token"));
    }

    [Fact]
    public async Task NonAsciiLoginHeader_OnARouteThatIsNotALogin_IsDroppedNotA502()
    {
        Upstream.RespondWith("/public/page", "HTTP/1.1 200 OK\r\nX-Session-Create: " + Utf8Bytes("zoë"));

        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/public/page");

        Assert.Equal(200, response.Status);
        Assert.Equal("welcome", response.Body);
        Assert.Null(response.Header("X-Session-Create"));
        Assert.Null(response.Header("front-token"));
    }

    private Task<RawResponse> LoginAsync() =>
        RawClient.SendAsync(Harness.Gateway.Address, RawClient.Request("POST", LoginPath, "Content-Length: 0"));

    /// <summary>The UTF-8 bytes of <paramref name="text"/> as Latin-1 chars, so the raw upstream sends them as they are.</summary>
    private static string Utf8Bytes(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
