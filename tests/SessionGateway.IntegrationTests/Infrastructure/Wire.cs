using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>The decoded <c>front-token</c> header: <c>{"uid":…,"ate":…,"up":…}</c>.</summary>
internal sealed record FrontToken(string Uid, long Ate, JsonElement Up)
{
    public static FrontToken Decode(string header)
    {
        // Standard base64 (with padding), not base64url: that is what the SDKs decode.
        using var document = JsonDocument.Parse(Convert.FromBase64String(header));
        var root = document.RootElement;
        return new FrontToken(root.GetProperty("uid").GetString()!, root.GetProperty("ate").GetInt64(), root.GetProperty("up").Clone());
    }
}

/// <summary>Reading and asserting what the gateway put on the wire.</summary>
internal static class Wire
{
    public const string RemoveFrontToken = "remove";

    /// <summary>The single value of response header <paramref name="name"/>, or null when absent.</summary>
    public static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
        {
            return Assert.Single(values);
        }

        return null;
    }

    /// <summary>The response's <c>Set-Cookie</c> headers by cookie name; each name at most once.</summary>
    public static IReadOnlyDictionary<string, SetCookieHeaderValue> SetCookies(HttpResponseMessage response)
    {
        var result = new Dictionary<string, SetCookieHeaderValue>(StringComparer.Ordinal);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var value in values)
            {
                Assert.True(SetCookieHeaderValue.TryParse(value, out var cookie), "unparsable Set-Cookie: " + value);
                Assert.True(result.TryAdd(cookie.Name.ToString(), cookie), "cookie set twice: " + cookie.Name);
            }
        }

        return result;
    }

    /// <summary>The JSON payload of a JWT, not verified.</summary>
    public static JsonElement JwtPayload(string token)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        return document.RootElement.Clone();
    }

    /// <summary>The JWT with one character of its signature changed (still valid base64url).</summary>
    public static string WithBrokenSignature(string token)
    {
        var lastDot = token.LastIndexOf('.');
        var signature = token[(lastDot + 1)..].ToCharArray();
        signature[4] = signature[4] == 'A' ? 'B' : 'A';
        return token[..(lastDot + 1)] + new string(signature);
    }

    /// <summary>The JWT with header <c>kid</c> replaced by one the gateway never issued (signature left as it was).</summary>
    public static string WithUnknownKid(string token)
    {
        var parts = token.Split('.');
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        var alg = header.RootElement.GetProperty("alg").GetString();
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"{{alg}}","kid":"no-such-key","typ":"JWT"}"""));
        return string.Join('.', forged, parts[1], parts[2]);
    }

    /// <summary>Status, the exact JSON body, JSON content type and <c>Cache-Control: no-store</c>.</summary>
    public static async Task AssertJsonAsync(HttpResponseMessage response, int status, string body)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store expected");
    }

    /// <summary>The response leaves the client's session alone: no cookies, no token headers, no front-token.</summary>
    public static void AssertSessionUntouched(HttpResponseMessage response)
    {
        Assert.False(response.Headers.Contains("Set-Cookie"), "no Set-Cookie expected");
        Assert.Null(Header(response, "front-token"));
        Assert.Null(Header(response, "st-access-token"));
        Assert.Null(Header(response, "st-refresh-token"));
    }

    /// <summary>
    /// The response tells the client its session is gone: <c>front-token: remove</c> (exposed to scripts) and both
    /// token cookies expired in 1970 with their original paths; in header mode also empty token headers.
    /// </summary>
    public static void AssertSessionCleared(HttpResponseMessage response, TokenMode mode)
    {
        Assert.Equal(RemoveFrontToken, Header(response, "front-token"));
        Assert.Contains("front-token", Header(response, "Access-Control-Expose-Headers") ?? "", StringComparison.Ordinal);
        var cookies = SetCookies(response);
        AssertCleared(cookies, "sAccessToken", "/");
        AssertCleared(cookies, "sRefreshToken", SessionHarness.RefreshPath);
        if (mode == TokenMode.Header)
        {
            Assert.Equal("", Header(response, "st-access-token"));
            Assert.Equal("", Header(response, "st-refresh-token"));
        }
    }

    private static void AssertCleared(IReadOnlyDictionary<string, SetCookieHeaderValue> cookies, string name, string path)
    {
        Assert.True(cookies.TryGetValue(name, out var cookie), name + " should be cleared");
        Assert.Equal("", cookie.Value.ToString());
        Assert.Equal(1970, cookie.Expires?.Year);
        Assert.Equal(path, cookie.Path.ToString());
        Assert.True(cookie.HttpOnly);
    }

    /// <summary>The response issued tokens: <c>front-token</c> for the user, tokens in the mode's carrier.</summary>
    public static FrontToken AssertSessionIssued(HttpResponseMessage response, TokenMode mode, string userId)
    {
        var frontHeader = Header(response, "front-token");
        Assert.NotNull(frontHeader);
        var front = FrontToken.Decode(frontHeader);
        Assert.Equal(userId, front.Uid);
        var exposed = (Header(response, "Access-Control-Expose-Headers") ?? "").Split(',', StringSplitOptions.TrimEntries);
        Assert.Contains("front-token", exposed);
        Assert.DoesNotContain("*", exposed);

        string accessToken;
        if (mode == TokenMode.Cookie)
        {
            var cookies = SetCookies(response);
            var access = cookies["sAccessToken"];
            var refresh = cookies["sRefreshToken"];
            Assert.True(access.HttpOnly);
            Assert.True(refresh.HttpOnly);
            Assert.Equal("/", access.Path.ToString());
            Assert.Equal(SessionHarness.RefreshPath, refresh.Path.ToString());
            Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, access.SameSite);
            Assert.False(access.Secure, "plain http: no Secure attribute with Secure: auto");
            Assert.NotNull(access.Expires);

            // The access-token cookie lives as long as the refresh token, not as long as the JWT.
            Assert.Equal(refresh.Expires, access.Expires);
            Assert.Null(Header(response, "st-access-token"));
            Assert.Null(Header(response, "st-refresh-token"));
            accessToken = access.Value.ToString();
        }
        else
        {
            accessToken = Header(response, "st-access-token")!;
            Assert.False(string.IsNullOrEmpty(accessToken));
            Assert.False(string.IsNullOrEmpty(Header(response, "st-refresh-token")));
            Assert.False(response.Headers.Contains("Set-Cookie"), "header mode sets no cookies");
            Assert.Contains("st-access-token", exposed);
            Assert.Contains("st-refresh-token", exposed);
        }

        // front-token carries the whole access-token payload and its expiry in ms.
        var payload = JwtPayload(accessToken);
        Assert.Equal(userId, payload.GetProperty("sub").GetString());
        Assert.True(JsonElement.DeepEquals(payload, front.Up), "front-token 'up' must be the access-token payload");
        Assert.Equal(payload.GetProperty("exp").GetInt64() * 1000, front.Ate);
        return front;
    }

    /// <summary>True when the gateway forwarded nothing to <paramref name="path"/>.</summary>
    public static void AssertNotForwarded(SessionHarness harness, string path) =>
        Assert.Empty(harness.UpstreamRequests(path));

    public static HttpStatusCode Status(int code) => (HttpStatusCode)code;
}
