using Microsoft.Extensions.Logging;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// A request header with bytes beyond ASCII (UTF-8 in a cookie an app set, a file name) is client input: it is
/// forwarded as the bytes the client sent, never answered with a 5xx and a logged stack trace. Raw socket in (a
/// client library refuses such headers), and an upstream that records the bytes it received.
/// </summary>
public sealed class NonAsciiHeaderTests : RawUpstreamHarnessTest
{
    private string _access = null!;

    private protected override async Task StartedAsync()
    {
        _access = (await Harness.CreateSessionAsync("alice")).AccessToken;
    }

    // Each char is one byte on the wire: "\u00c3\u00a9" is the UTF-8 of é.
    [Theory]
    [InlineData("/public/page", "X-Foo: caf\u00c3\u00a9")]
    [InlineData("/public/page", "Cookie: theme=caf\u00c3\u00a9")]
    [InlineData("/public/page", "Authorization: Bearer caf\u00c3\u00a9")]
    [InlineData("/api/page", "X-Foo: \u00e2\u0082\u00ac 10")]
    public async Task NonAsciiHeaderValue_IsForwardedAsSent(string target, string header)
    {
        var logged = Harness.Gateway.Logs.Entries.Count;

        var response = await RawClient.GetAsync(Harness.Gateway.Address, target, "Cookie: sAccessToken=" + _access, header);

        Assert.Equal(200, response.Status);
        Assert.Contains(header[(header.IndexOf(':', StringComparison.Ordinal) + 2)..], Upstream.Single().HeadText, StringComparison.Ordinal);
        // No warning (YARP logs the HTTP client's exception with its stack trace) for what the client sent.
        Assert.DoesNotContain(Harness.Gateway.Logs.Entries.Skip(logged), e => e.Level >= LogLevel.Warning);
    }

    [Theory]
    [InlineData("X-Foo: caf\u00e9")]
    [InlineData("Cookie: theme=\u00ff\u00fe")]
    public async Task HeaderBytesThatAreNotUtf8_AreNeverA5xx(string header)
    {
        var logged = Harness.Gateway.Logs.Entries.Count;

        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/public/page", header);

        Assert.InRange(response.Status, 200, 499);
        Assert.DoesNotContain(Harness.Gateway.Logs.Entries.Skip(logged), e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task NonAsciiCookieBesideATokenCookie_IsKeptAndTheTokenStripped()
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/public/page", $"Cookie: th\u00c3\u00a8me=dark; sAccessToken={_access}");

        Assert.Equal(200, response.Status);
        var seen = Upstream.Single();
        Assert.Contains("Cookie: th\u00c3\u00a8me=dark\r\n", seen.HeadText, StringComparison.Ordinal);
        Assert.DoesNotContain(_access, seen.HeadText, StringComparison.Ordinal);
    }
}
