using SessionGateway.Proxy;

namespace SessionGateway.Tests.Proxy;

public sealed class UserIdsTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("alice@example.com")]
    [InlineData("zo\u00eb")]
    [InlineData("\u7528\u6237")]
    [InlineData("\U0001F600")]
    [InlineData("a-b_c.d+e/f=g:h%i")]
    public void Problem_OrdinaryIds_None(string userId) =>
        Assert.Null(UserIds.Problem(userId));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("alice bob", "U+0020 (SpaceSeparator) at index 5")]
    [InlineData("alice\0", "U+0000 (Control) at index 5")]
    [InlineData("a\tb", "U+0009 (Control)")]
    [InlineData("a\rb", "U+000D (Control)")]
    [InlineData("a\u007fb", "U+007F (Control)")]
    [InlineData("a\u0085b", "U+0085 (Control)")]
    [InlineData("a\u00a0b", "U+00A0 (SpaceSeparator)")]
    [InlineData("a\u2028b", "U+2028 (LineSeparator)")]
    [InlineData("a\u2029b", "U+2029 (ParagraphSeparator)")]
    [InlineData("a\u200bb", "U+200B (Format)")]
    [InlineData("admin\u202e", "U+202E (Format)")]
    [InlineData("a\ufffdb", "U+FFFD")]
    [InlineData("a\ud800b", "U+FFFD")]
    [InlineData("\U0001F600 x", "U+0020 (SpaceSeparator) at index 2")]
    public void Problem_ControlsWhitespaceAndInvisibles_AreNamedByCodePoint(string userId, string problem) =>
        Assert.Contains(problem, UserIds.Problem(userId), StringComparison.Ordinal);

    [Fact]
    public void Problem_LongerThan256_IsRefused()
    {
        Assert.Null(UserIds.Problem(new string('a', 256)));
        Assert.Contains("longer than 256", UserIds.Problem(new string('a', 257)), StringComparison.Ordinal);
    }
}
