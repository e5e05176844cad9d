using SessionGateway.SignIn;

namespace SessionGateway.Tests.SignIn;

public sealed class LocalRedirectTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/app")]
    [InlineData("/app/inbox?folder=1&x=%2F%2F#top")]
    [InlineData("/a//b")]
    public void IsLocal_PathsOnThisSite_AreAccepted(string target) => Assert.True(LocalRedirect.IsLocal(target));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("app")]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/app\\..\\x")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("\u0000/")]
    [InlineData("javascript:alert(1)")]
    [InlineData(" /app")]
    public void IsLocal_AnythingElse_IsRefused(string? target) => Assert.False(LocalRedirect.IsLocal(target));

    [Fact]
    public void IsLocal_AVeryLongPath_IsRefused() => Assert.False(LocalRedirect.IsLocal("/" + new string('a', 4096)));
}
