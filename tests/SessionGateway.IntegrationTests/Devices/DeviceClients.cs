using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Devices;

/// <summary>Devices for the "your devices" tests: each its own connection and <c>User-Agent</c>, and the two requests.</summary>
internal static class DeviceClients
{
    public const string SessionsPath = "/api/sessions";

    /// <summary>One device logged in as <paramref name="userId"/>; its HTTP client is added to <paramref name="clients"/> for disposal.</summary>
    public static async Task<SessionClient> LoginAsync(
        SessionHarness harness, List<HttpClient> clients, TokenMode mode, string userId, string userAgent, string? claimsJson = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = harness.Gateway.Address };
        http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        clients.Add(http);
        var device = new SessionClient(http, mode);
        using var login = await device.LoginAsync(harness.MapLogin(userId, claimsJson));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.NotNull(device.AccessToken);
        return device;
    }

    /// <summary>The session handle in the device's access token.</summary>
    public static string HandleOf(SessionClient client) => Wire.JwtPayload(client.AccessToken!).GetProperty("sessionHandle").GetString()!;

    public static Task<HttpResponseMessage> ListAsync(SessionClient client) => client.SendAsync(HttpMethod.Get, SessionsPath);

    /// <summary><c>DELETE</c> as the SDK sends it: <c>rid</c> (custom-header anti-CSRF) and, in header mode, <c>st-auth-mode</c>.</summary>
    public static async Task<HttpResponseMessage> EndAsync(SessionClient client, string handle, bool antiCsrf = true)
    {
        using var request = client.NewRequest(HttpMethod.Delete, SessionsPath + "/" + Uri.EscapeDataString(handle));
        if (antiCsrf)
        {
            request.Headers.Add("rid", "session");
        }

        if (client.Mode == TokenMode.Header)
        {
            request.Headers.Add("st-auth-mode", "header");
        }

        return await client.Http.SendAsync(request);
    }
}
