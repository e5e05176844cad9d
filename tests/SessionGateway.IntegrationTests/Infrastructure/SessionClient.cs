using System.Net;
using System.Net.Http.Headers;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>How a client carries its tokens.</summary>
public enum TokenMode
{
    /// <summary>HttpOnly cookies, as a browser.</summary>
    Cookie,

    /// <summary><c>st-auth-mode: header</c>, <c>st-access-token</c>/<c>st-refresh-token</c>, <c>Authorization: Bearer</c>.</summary>
    Header,
}

/// <summary>
/// A session client in cookie or header mode, like the SuperTokens SDKs: it logs in, keeps the tokens the gateway
/// hands out (parsing <c>Set-Cookie</c> itself; the HttpClient has no cookie container), sends them, refreshes
/// (with <c>rid</c>, as the SDK does) and signs out.
/// </summary>
internal sealed class SessionClient(HttpClient http, TokenMode mode)
{
    public TokenMode Mode { get; } = mode;

    /// <summary>
    /// Where the next request goes. Settable so one session can move between gateway replicas, as a client
    /// behind a load balancer does.
    /// </summary>
    public HttpClient Http { get; set; } = http;

    public string? AccessToken { get; set; }

    public string? RefreshToken { get; set; }

    public string? AntiCsrfToken { get; private set; }

    public FrontToken? FrontToken { get; private set; }

    public Task<HttpResponseMessage> LoginAsync(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("user=x&password=y") };
        if (Mode == TokenMode.Header)
        {
            request.Headers.Add("st-auth-mode", "header");
        }

        return SendAndKeepAsync(request);
    }

    /// <summary>A request carrying the access token (cookie or bearer).</summary>
    public HttpRequestMessage NewRequest(HttpMethod method, string path, string? accessToken = null)
    {
        var request = new HttpRequestMessage(method, path);
        var token = accessToken ?? AccessToken;
        if (token is not null)
        {
            if (Mode == TokenMode.Cookie)
            {
                request.Headers.Add("Cookie", "sAccessToken=" + token);
            }
            else
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? accessToken = null)
    {
        using var request = NewRequest(method, path, accessToken);
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    /// <summary>Refreshes with <paramref name="refreshToken"/> (default: the current one); on 200 keeps the new tokens.</summary>
    public Task<HttpResponseMessage> RefreshAsync(string? refreshToken = null, string? traceparent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, SessionHarness.RefreshPath);
        request.Headers.Add("rid", "session");
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }

        var token = refreshToken ?? RefreshToken;
        if (Mode == TokenMode.Cookie)
        {
            if (token is not null)
            {
                request.Headers.Add("Cookie", "sRefreshToken=" + token);
            }
        }
        else
        {
            request.Headers.Add("st-auth-mode", "header");
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }

        return SendAndKeepAsync(request);
    }

    public Task<HttpResponseMessage> SignOutAsync()
    {
        var request = NewRequest(HttpMethod.Post, SessionHarness.SignOutPath);
        request.Headers.Add("rid", "session");
        if (Mode == TokenMode.Header)
        {
            request.Headers.Add("st-auth-mode", "header");
        }

        return SendAndKeepAsync(request);
    }

    private async Task<HttpResponseMessage> SendAndKeepAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var response = await Http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.OK && Wire.Header(response, "front-token") is { } front && front != "remove")
            {
                FrontToken = Infrastructure.FrontToken.Decode(front);
                AntiCsrfToken = Wire.Header(response, "anti-csrf") ?? AntiCsrfToken;
                if (Mode == TokenMode.Cookie)
                {
                    var cookies = Wire.SetCookies(response);
                    AccessToken = cookies["sAccessToken"].Value.ToString();
                    RefreshToken = cookies["sRefreshToken"].Value.ToString();
                }
                else
                {
                    AccessToken = Wire.Header(response, "st-access-token");
                    RefreshToken = Wire.Header(response, "st-refresh-token");
                }
            }

            return response;
        }
    }
}
