using Microsoft.AspNetCore.Http;
using SessionGateway.Authentication;

namespace SessionGateway.Tests.Authentication;

public sealed class OriginsTests
{
    [Theory]
    [InlineData("http://gw.example", "http", "gw.example")]
    [InlineData("http://gw.example:80", "http", "gw.example")]
    [InlineData("http://gw.example", "http", "gw.example:80")]
    [InlineData("https://gw.example", "https", "gw.example:443")]
    [InlineData("https://GW.example:443", "https", "gw.EXAMPLE")]
    [InlineData("http://127.0.0.1:8080", "http", "127.0.0.1:8080")]
    [InlineData("http://[::1]:8080", "http", "[::1]:8080")]
    public void IsRequestOrigin_SameSchemeHostAndPort_IsTrue(string origin, string scheme, string host) =>
        Assert.True(Origins.IsRequestOrigin(origin, scheme, new HostString(host)));

    [Theory]
    [InlineData("http://gw.example:8080", "http", "gw.example")]
    [InlineData("https://gw.example", "http", "gw.example")]
    [InlineData("http://gw.example", "https", "gw.example")]
    [InlineData("https://gw.example", "https", "gw.example:80")]
    [InlineData("http://other.example", "http", "gw.example")]
    [InlineData("http://gw.example.evil", "http", "gw.example")]
    [InlineData("http://gw.example/", "http", "gw.example")]
    [InlineData("http://gw.example/path", "http", "gw.example")]
    [InlineData("http://user@gw.example", "http", "gw.example")]
    [InlineData("ws://gw.example", "http", "gw.example")]
    [InlineData("null", "http", "gw.example")]
    [InlineData("", "http", "gw.example")]
    [InlineData("http://gw.example", "http", "")]
    public void IsRequestOrigin_AnythingElse_IsFalse(string origin, string scheme, string host) =>
        Assert.False(Origins.IsRequestOrigin(origin, scheme, new HostString(host)));

    [Theory]
    [InlineData("https://app.example", "https://app.example", true)]
    [InlineData("https://app.example:443", "https://app.example", true)]
    [InlineData("https://APP.example", "https://app.example", true)]
    [InlineData("https://app.example:8443", "https://app.example", false)]
    [InlineData("http://app.example", "https://app.example", false)]
    [InlineData("null", "null", false)]
    public void AreSame_ComparesWholeOrigins(string a, string b, bool same) =>
        Assert.Equal(same, Origins.AreSame(a, b));
}
