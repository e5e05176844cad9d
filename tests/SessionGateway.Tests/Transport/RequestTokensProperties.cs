using CsCheck;
using Microsoft.AspNetCore.Http;
using SessionGateway.Sessions;
using SessionGateway.Transport;

namespace SessionGateway.Tests.Transport;

/// <summary>Properties of reading tokens from request headers over generated header text (CsCheck).</summary>
[Trait("Category", PropertyRun.Category)]
public sealed class RequestTokensProperties
{
    private static readonly string[] TokenCookies =
    [
        ProtocolNames.AccessTokenCookie, ProtocolNames.RefreshTokenCookie, ProtocolNames.AccessTokenHeader, ProtocolNames.RefreshTokenHeader,
    ];

    // Header text rich in what the cookie and bearer parsers split and decode on, with the names they look for.
    private static readonly Gen<string> HeaderText = Gen.Frequency(
        (1, Gen.String[0, 200]),
        (3, Gen.OneOf(
                Gen.String[Gen.Char[" ;=%\"\t,abAB09-_.+/"], 1, 8],
                Gen.OneOf(TokenCookies.Select(Gen.Const).ToArray()),
                Gen.Const("%41"),
                Gen.Const("%"),
                Gen.Const("%zz"),
                Gen.Const("Bearer "),
                Gen.Const("bearer\t"))
            .Array[0, 16]
            .Select(parts => string.Concat(parts))));

    private static HeaderDictionary Headers(string[] cookies, string[] authorizations, string? authMode)
    {
        var headers = new HeaderDictionary();
        foreach (var cookie in cookies)
        {
            headers.Append("Cookie", cookie);
        }

        foreach (var authorization in authorizations)
        {
            headers.Append("Authorization", authorization);
        }

        if (authMode is not null)
        {
            headers["st-auth-mode"] = authMode;
        }

        return headers;
    }

    [Fact]
    public void EveryReader_AnyHeaderText_NeverThrowsAndTokenCookiesNeverSurviveTheStrip()
    {
        Gen.Select(HeaderText.Array[0, 3], HeaderText.Array[0, 2], HeaderText).Sample(
            (cookies, authorizations, authMode) =>
            {
                var headers = Headers(cookies, authorizations, authMode);

                foreach (var name in TokenCookies)
                {
                    var (value, count) = RequestTokens.Cookie(headers, name);
                    var rawCount = RequestTokens.Cookie(headers, name, out var raw);
                    Assert.Equal(count, rawCount);
                    Assert.Equal(count == 0, value is null);
                    _ = RequestTokens.Decode(raw);
                }

                var hasTokenCookie = RequestTokens.HasTokenCookie(headers);
                var kept = RequestTokens.CookiesWithoutTokens(headers, out var hadTokenCookie);
                _ = RequestTokens.Bearer(headers);
                _ = RequestTokens.RequestedTransfer(headers);
                foreach (var authorization in authorizations)
                {
                    _ = RequestTokens.ParseBearer(authorization);
                }

                // What is forwarded upstream carries none of the session-token cookies, in any spelling we read.
                Assert.False(kept is not null && RequestTokens.HasTokenCookie(Headers([kept], [], null)), kept);
                Assert.True(hasTokenCookie || TokenCookies.All(name => RequestTokens.Cookie(headers, name).Count == 0));

                // The one-pass rewrite the forwarding transform uses finds exactly what the scan finds.
                Assert.Equal(hasTokenCookie, hadTokenCookie);
                Assert.Equal(RequestTokens.CookiesWithoutTokens(headers), kept);
            },
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }

    [Fact]
    public void Cookie_WellFormedCookieList_FindsTheFirstValueAndCountsEveryOccurrence()
    {
        var name = Gen.OneOf(Gen.String[Gen.Char["abcdefgxyz"], 1, 6], Gen.OneOf(TokenCookies.Select(Gen.Const).ToArray()));
        var value = Gen.String[Gen.Char["ABCabc019-_.="], 0, 20];
        var pair = Gen.Select(name, value, (n, v) => (Name: n, Value: v));

        pair.Array[0, 10].Sample(
            pairs =>
            {
                var headers = Headers([string.Join("; ", pairs.Select(p => p.Name + "=" + p.Value))], [], null);

                foreach (var cookie in TokenCookies)
                {
                    var matching = pairs.Where(p => p.Name == cookie).ToArray();
                    var (found, count) = RequestTokens.Cookie(headers, cookie);
                    Assert.Equal(matching.Length, count);
                    Assert.Equal(matching.Length == 0 ? null : matching[0].Value, found);
                }

                var kept = pairs.Where(p => !TokenCookies.Contains(p.Name)).Select(p => p.Name + "=" + p.Value).ToArray();
                Assert.Equal(kept.Length == 0 ? null : string.Join("; ", kept), RequestTokens.CookiesWithoutTokens(headers));
            },
            iter: PropertyRun.Iter(3_000),
            threads: PropertyRun.Threads);
    }
}
