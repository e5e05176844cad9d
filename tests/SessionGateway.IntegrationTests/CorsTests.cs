using System.Net;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>CORS for an SPA on another origin (<c>Session:Cors:AllowedOrigins</c>).</summary>
public sealed class CorsTests : IAsyncLifetime
{
    private const string Origin = "https://app.example.test";

    private SessionHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await SessionHarness.StartAsync(new SessionHarnessOptions { CorsOrigin = Origin });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [InlineData(SessionHarness.RefreshPath)]
    [InlineData("/api/orders")]
    public async Task Preflight_FromAllowedOrigin_AllowsCredentialsAndTheSdkHeaders(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "rid,fdi-version,st-auth-mode,anti-csrf,authorization,content-type");

        using var response = await _harness.Http.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode, "preflight answered " + response.StatusCode);
        Assert.Equal(Origin, Wire.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Wire.Header(response, "Access-Control-Allow-Credentials"));
        var allowed = (Wire.Header(response, "Access-Control-Allow-Headers") ?? "").Split(',', StringSplitOptions.TrimEntries);
        foreach (var header in new[] { "rid", "fdi-version", "st-auth-mode", "anti-csrf", "authorization", "content-type" })
        {
            Assert.Contains(header, allowed, StringComparer.OrdinalIgnoreCase);
        }

        Wire.AssertNotForwarded(_harness, path);
    }

    [Fact]
    public async Task Preflight_FromOtherOrigin_GetsNoCorsHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, SessionHarness.RefreshPath);
        request.Headers.Add("Origin", "https://evil.example.test");
        request.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await _harness.Http.SendAsync(request);

        Assert.Null(Wire.Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Wire.Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task Refresh_FromAllowedOrigin_ExposesTheSessionHeaders()
    {
        var alice = await _harness.LoginAsync(TokenMode.Header, "alice");
        using var request = new HttpRequestMessage(HttpMethod.Post, SessionHarness.RefreshPath);
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("rid", "session");
        request.Headers.Add("st-auth-mode", "header");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", alice.RefreshToken);

        using var response = await _harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Origin, Wire.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Wire.Header(response, "Access-Control-Allow-Credentials"));
        var exposed = (Wire.Header(response, "Access-Control-Expose-Headers") ?? "").Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(new[] { "anti-csrf", "front-token", "st-access-token", "st-refresh-token" }, exposed.Order(StringComparer.Ordinal));
    }
}
