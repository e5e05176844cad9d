using System.Net;
using SessionGateway.RateLimiting;

namespace SessionGateway.Tests.RateLimiting;

public sealed class SessionRateLimitsTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")] // a dual-stack listener's view of an IPv4 client
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")] // one subscriber's /64 is one client
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::")]
    public void ClientKey_IsTheAddress_IPv4MappedAsIPv4_IPv6AsItsSlash64(string address, string key)
    {
        Assert.Equal(IPAddress.Parse(key), SessionRateLimits.ClientKey(IPAddress.Parse(address)));
    }

    [Fact]
    public void ClientKey_NoAddress_IsOneSharedPartition()
    {
        Assert.Equal(IPAddress.None, SessionRateLimits.ClientKey(null));
    }
}
