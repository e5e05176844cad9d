using SessionGateway.Configuration;
using SessionGateway.Proxy;

namespace SessionGateway.Tests.Proxy;

public sealed class IdentityHeaderFilterTests
{
    private static readonly IdentityHeaderFilter Default = new(new IdentityHeaderSettings
    {
        Claims = new Dictionary<string, string> { ["role"] = "X-User-Role" },
        Strip = ["X-Remote-User"],
    }, "X-Session-Assertion");

    [Theory]
    [InlineData("X-User-Id")]
    [InlineData("x-user-id")]
    [InlineData("X-USER-ID")]
    [InlineData("X_User_Id")]
    [InlineData("x_user_id")]
    [InlineData("X-User_Id")]
    [InlineData("X-Session-Handle")]
    [InlineData("x_session_handle")]
    [InlineData("X-Session-Anything")]
    [InlineData("x_SESSION_create")]
    [InlineData("X-Session-")]
    [InlineData("X-User-Role")]
    [InlineData("x_user_role")]
    [InlineData("X-Remote-User")]
    [InlineData("x_remote_user")]
    [InlineData("st-access-token")]
    [InlineData("ST_REFRESH_TOKEN")]
    public void IsOwned_IdentityHeaderInAnySpelling_IsTrue(string header) => Assert.True(Default.IsOwned(header));

    [Theory]
    [InlineData("X-User-Idx")]
    [InlineData("X-User")]
    [InlineData("X-Sessions")]
    [InlineData("X-Session")]
    [InlineData("X-Request-Id")]
    [InlineData("Cookie")]
    [InlineData("Authorization")]
    [InlineData("X-Userid")]
    public void IsOwned_OtherHeader_IsFalse(string header) => Assert.False(Default.IsOwned(header));

    [Fact]
    public void IsOwned_ConfiguredNamesAndPrefix_ReplaceTheDefaults()
    {
        var filter = new IdentityHeaderFilter(new IdentityHeaderSettings { UserId = "Remote-User", SessionHandle = "Remote-Session", ReservedPrefix = "Remote-Auth-" }, "X-Session-Assertion");

        Assert.True(filter.IsOwned("remote_user"));
        Assert.True(filter.IsOwned("REMOTE-AUTH-GROUPS"));
        Assert.False(filter.IsOwned("X-User-Id"));
        Assert.False(filter.IsOwned("X-Session-Handle-Other"));
    }

    [Fact]
    public void IsOwned_EmptyPrefix_TurnsThePrefixRuleOff()
    {
        var filter = new IdentityHeaderFilter(new IdentityHeaderSettings { ReservedPrefix = "" }, "X-Session-Assertion");

        Assert.False(filter.IsOwned("X-Session-Other"));
        Assert.True(filter.IsOwned("X-Session-Handle"));
    }

    [Theory]
    [InlineData("", "X-Session-Assertion", "x_session_assertion")]
    [InlineData("Remote-Auth-", "X-Session-Assertion", "X-SESSION-ASSERTION")]
    [InlineData("Remote-Auth-", "Upstream-Proof", "upstream_PROOF")]
    public void IsOwned_TheAssertionHeader_IsOwnedInAnySpellingWhateverThePrefix(string prefix, string assertionHeader, string sent)
    {
        var filter = new IdentityHeaderFilter(new IdentityHeaderSettings { ReservedPrefix = prefix }, assertionHeader);

        Assert.True(filter.IsOwned(sent));
    }

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("%61dmin", "%2561dmin")]
    [InlineData("zoë", "zo%C3%AB")]
    [InlineData("a\r\nX-Evil: 1", "a%0D%0AX-Evil%3A%201")]
    public void HeaderValue_IsVisibleAsciiAndDecodesUnambiguously(string value, string sent) =>
        Assert.Equal(sent, IdentityHeaderTransform.HeaderValue(value));
}
