using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SessionGateway.Sessions;
using SessionGateway.Transport;

namespace SessionGateway.Tests.Transport;

public sealed class RequestTokensTests
{
    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary.Append(name, value);
        }

        return dictionary;
    }

    [Theory]
    [InlineData("sAccessToken=abc", "abc")]
    [InlineData("a=1; sAccessToken=abc; b=2", "abc")]
    [InlineData("a=1;sAccessToken=abc", "abc")]
    [InlineData("  sAccessToken = abc  ", "abc")]
    [InlineData("sAccessToken=\"abc\"", "abc")]
    [InlineData("sAccessToken=a%2Eb%2Ec", "a.b.c")]
    [InlineData("s%41ccessToken=abc", "abc")]
    [InlineData("sAccessToken%20=abc", "abc")]
    public void Cookie_OneCookie_IsFoundAndDecoded(string cookie, string expected)
    {
        var (value, count) = RequestTokens.Cookie(Headers(("Cookie", cookie)), ProtocolNames.AccessTokenCookie);

        Assert.Equal(expected, value);
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("xsAccessToken=abc")]
    [InlineData("sAccessTokenX=abc")]
    [InlineData("saccesstoken=abc")]
    [InlineData("other=sAccessToken=abc")]
    [InlineData("")]
    public void Cookie_OtherCookies_AreNotTheToken(string cookie)
    {
        var (value, count) = RequestTokens.Cookie(Headers(("Cookie", cookie)), ProtocolNames.AccessTokenCookie);

        Assert.Null(value);
        Assert.Equal(0, count);
    }

    [Fact]
    public void Cookie_TwiceAcrossHeaders_IsCountedTwice()
    {
        // HTTP/2 clients may split cookies over several headers.
        var headers = Headers(("Cookie", "sAccessToken=one"), ("Cookie", "x=1; sAccessToken=two"));

        var (value, count) = RequestTokens.Cookie(headers, ProtocolNames.AccessTokenCookie);

        Assert.Equal("one", value);
        Assert.Equal(2, count);
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer abc", "abc")]
    [InlineData("Bearer  abc ", "abc")]
    [InlineData("Basic abc", null)]
    [InlineData("Bearer", null)]
    [InlineData("Bearer ", null)]
    [InlineData("Bearer\tabc", "abc")]
    [InlineData("BEARER \t abc", "abc")]
    [InlineData("Bearerabc", null)]
    [InlineData("Bearer a, Bearer b", null)]
    [InlineData("Bearer \"abc\"", null)]
    [InlineData("Bearer a b", null)]
    public void Bearer_ParsesOnlyBearerTokens(string authorization, string? expected) =>
        Assert.Equal(expected, RequestTokens.Bearer(Headers(("Authorization", authorization))));

    [Theory]
    [InlineData("Bearer a-b_c.d~e+f/g==", "a-b_c.d~e+f/g==")]
    [InlineData("Bearer \t abc \t", "abc")]
    [InlineData("bEaReR\t\tabc", "abc")]
    [InlineData("Bearer abc\u00a0", null)]
    [InlineData("Bearer ab\u0000c", null)]
    [InlineData("Bearer a;b", null)]
    [InlineData("Bearer \t \t", null)]
    [InlineData("Bearer\u00a0abc", null)]
    [InlineData(" Bearer abc", null)]
    public void TryParseBearer_IsAViewOfTheHeader_AndAgreesWithParseBearer(string authorization, string? expected)
    {
        // The authenticator looks the token up as a span of the header (no copy); the refresh endpoint and the
        // transforms use the string form. Both must read the same credential out of the same value.
        var parsed = RequestTokens.TryParseBearer(authorization, out var token);

        Assert.Equal(expected is not null, parsed);
        Assert.Equal(expected, RequestTokens.ParseBearer(authorization));
        if (parsed)
        {
            Assert.Equal(expected, token.ToString());
            Assert.True(authorization.AsSpan().Overlaps(token));
        }
    }

    [Fact]
    public void TryParseBearer_VeryLongToken_IsParsedWhole()
    {
        // Length is the verifier's business (it refuses past 16 KB); parsing neither truncates nor throws.
        var value = new string('a', 40_000) + "." + new string('b', 40_000);

        Assert.True(RequestTokens.TryParseBearer("Bearer " + value, out var token));
        Assert.Equal(value.Length, token.Length);
    }

    [Fact]
    public void CookiesWithoutTokens_KeepsEveryOtherCookie()
    {
        var headers = Headers(("Cookie", "a=1; sAccessToken=x; b=2"), ("Cookie", "sRefreshToken=y; c=3"));

        Assert.Equal("a=1; b=2; c=3", RequestTokens.CookiesWithoutTokens(headers));
        Assert.Equal("sFrontToken=f", RequestTokens.CookiesWithoutTokens(Headers(("Cookie", "st-access-token=a; sFrontToken=f; st-refresh-token=r"))));
        Assert.Equal("x=%41; flag", RequestTokens.CookiesWithoutTokens(Headers(("Cookie", "s%41ccessToken=a;x=%41 ;;sRefreshToken%20=r; flag"))));
        Assert.True(RequestTokens.HasTokenCookie(Headers(("Cookie", "a=1; s%52efreshToken=r"))));
        Assert.False(RequestTokens.HasTokenCookie(Headers(("Cookie", "a=sAccessToken; b=st-access-token"))));
        Assert.Null(RequestTokens.CookiesWithoutTokens(Headers(("Cookie", "sAccessToken=x"))));
    }

    [Theory]
    [InlineData("a=b;;c=d", "a=b; c=d")]
    [InlineData(";a=b", "a=b")]
    [InlineData("a=b; ;c=d;", "a=b; c=d")]
    [InlineData(";;sAccessToken=x;;c=d", "c=d")]
    public void CookiesWithoutTokens_EmptyParts_LoseNoCookie(string cookie, string expected) =>
        Assert.Equal(expected, RequestTokens.CookiesWithoutTokens(Headers(("Cookie", cookie))));

    [Theory]
    [InlineData("sAccessToken")]
    [InlineData("SACCESSTOKEN")]
    [InlineData("saccesstoken")]
    [InlineData("sRefreshToken")]
    [InlineData("st-access-token")]
    [InlineData("ST_ACCESS_TOKEN")]
    [InlineData("st.refresh.token")]
    [InlineData("\"sAccessToken\"")]
    [InlineData("'sRefreshToken'")]
    [InlineData("sAccessToken%00")]
    [InlineData("sAccessToken%00junk")]
    [InlineData("sAcc%00essToken")]
    [InlineData("sAccessToken%2500")]
    [InlineData("s%2541ccessToken")]
    [InlineData("%73%41%63%63%65%73%73%54%6f%6b%65%6e")]
    [InlineData("%C5%BFAccessToken")]
    [InlineData("\u017FRefreshToken")]
    [InlineData("sAccessTo\u212Aen")]
    [InlineData("sAccess Token")]
    [InlineData("sAccess+Token")]
    [InlineData("sAccess\u200BToken")]
    [InlineData("%22sAccessToken%22")]
    [InlineData("sAccessToken[]")]
    [InlineData("sAccessToken%5B%5D")]
    [InlineData("sRefreshToken[0]")]
    [InlineData("st-access-token[key]")]
    public void IsTokenCookieName_OurNamesInAnySpelling_AreOurs(string name) =>
        Assert.True(RequestTokens.IsTokenCookieName(name));

    [Theory]
    [InlineData("_ga")]
    [InlineData("access_token")]
    [InlineData("ms_access_token")]
    [InlineData("sAccessTokens")]
    [InlineData("xsAccessToken")]
    [InlineData("s-access-token")]
    [InlineData("sFrontToken")]
    [InlineData("%ZZsAccessToken")]
    [InlineData("")]
    public void IsTokenCookieName_OtherNames_AreNotOurs(string name) =>
        Assert.False(RequestTokens.IsTokenCookieName(name));

    [Fact]
    public void CookiesWithoutTokens_DropsOddSpellingsAndCommaHiddenTokens()
    {
        var headers = Headers(("Cookie", "a=1; SACCESSTOKEN=x; \"sRefreshToken\"=y; b=2, sAccessToken=z; c=3,4; d=\"5\""));

        Assert.Equal("a=1; c=3,4; d=\"5\"", RequestTokens.CookiesWithoutTokens(headers));
        Assert.True(RequestTokens.HasTokenCookie(Headers(("Cookie", "theme=dark,st_access_token=x"))));
    }

    [Fact]
    public void HasTokenCookie_OrdinaryCookies_AllocatesNothing()
    {
        // The check runs on every forwarded request; the common cookies must not cost an allocation.
        var headers = Headers(("Cookie", "_ga=GA1.2.3; theme=dark; session.id=abc; lang=en-GB; cart[1]=2; $Version=1; a=b,c"));
        RequestTokens.HasTokenCookie(headers);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = RequestTokens.HasTokenCookie(headers);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(found);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("Bearer a.b.c", "a.b.c")]
    [InlineData("Token token=\"a.b.c\"", "a.b.c")]
    [InlineData("Bearer x, Bearer v1.h.n.m", "v1.h.n.m")]
    [InlineData("a.b.c", "a.b.c")]
    [InlineData("Bearer ab.c", null)]
    [InlineData("Digest username=\"x\", realm=\"r\"", null)]
    public void NextTokenLike_FindsTheFirstRunWithTwoDots(string text, string? expected)
    {
        var rest = text.AsSpan();
        var found = RequestTokens.NextTokenLike(ref rest, out var token);

        Assert.Equal(expected, found ? token.ToString() : null);
    }

    [Theory]
    [InlineData("v1.aGFuZGxl.bm9uY2U.bWFj", true)]
    [InlineData("v1.a.b.c", true)]
    [InlineData("v1.a.b", false)]
    [InlineData("v1.a..c", false)]
    [InlineData("v1.a.b.c.", false)]
    [InlineData("v2.a.b.c", false)]
    [InlineData("v1.a+b.c.d", false)]
    public void LooksLikeRefreshToken_IsOurFormat(string token, bool expected) =>
        Assert.Equal(expected, RequestTokens.LooksLikeRefreshToken(token));

    [Theory]
    [InlineData("header", "Header")]
    [InlineData("HEADER", "Header")]
    [InlineData("cookie", "Cookie")]
    [InlineData("other", null)]
    public void RequestedTransfer_ReadsStAuthMode(string mode, string? expected) =>
        Assert.Equal(expected, RequestTokens.RequestedTransfer(Headers(("st-auth-mode", mode)))?.ToString());

    [Fact]
    public void FrontToken_IsBase64JsonWithUserIdExpiryAndPayload()
    {
        const string payload = """{"sub":"ünïcode+<user>","exp":1800000000,"sessionHandle":"h"}""";
        var session = new IssuedSession("h", "ünïcode+<user>", "at", payload, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), "rt", DateTimeOffset.UnixEpoch, null);

        var json = Encoding.UTF8.GetString(Convert.FromBase64String(SessionResponseWriter.FrontToken(session)));

        using var document = JsonDocument.Parse(json);
        Assert.Equal("ünïcode+<user>", document.RootElement.GetProperty("uid").GetString());
        Assert.Equal(1_800_000_000_000, document.RootElement.GetProperty("ate").GetInt64());
        Assert.Equal("h", document.RootElement.GetProperty("up").GetProperty("sessionHandle").GetString());
    }
}
