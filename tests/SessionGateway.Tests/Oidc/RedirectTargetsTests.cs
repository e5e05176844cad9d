using SessionGateway.Oidc;

namespace SessionGateway.Tests.Oidc;

public sealed class RedirectTargetsTests
{
    private static readonly string[] Allowed = ["https://app.example.com"];

    [Theory]
    [InlineData("/é", "/%C3%A9")]
    [InlineData("/a?b=€#ü", "/a?b=%E2%82%AC#%C3%BC")]
    [InlineData("/😀", "/%F0%9F%98%80")]
    [InlineData("/plain?a=b", "/plain?a=b")]
    [InlineData("https://app.example.com/é", "https://app.example.com/%C3%A9")]
    public void NonAscii_IsPercentEncodedAsUtf8(string target, string expected)
    {
        var resolved = RedirectTargets.Resolve(target, Allowed);

        Assert.Equal(expected, resolved);
        Assert.True(System.Text.Ascii.IsValid(resolved!));
    }

    [Fact]
    public void LoneSurrogate_IsRefused() => Assert.Null(RedirectTargets.Resolve("/a\uD800b", Allowed));
}
