using SessionGateway.Hosting;

namespace SessionGateway.Tests.Hosting;

public sealed class GatewayArgumentsTests
{
    [Theory]
    [InlineData(new string[0], "/srv/gateway", "/srv/gateway/proxy.yaml")]
    [InlineData(new[] { "--config", "conf/gw.yaml" }, "/srv/gateway", "/srv/gateway/conf/gw.yaml")]
    [InlineData(new[] { "--config=../gw.yaml" }, "/srv/gateway", "/srv/gw.yaml")]
    [InlineData(new[] { "-c", "/etc/gw/proxy.yaml" }, "/srv/gateway", "/etc/gw/proxy.yaml")]
    public void ResolveConfigPath_RelativeToTheWorkingDirectory(string[] args, string workingDirectory, string expected)
    {
        Assert.Equal(expected, GatewayArguments.Parse(args).ResolveConfigPath(workingDirectory));
    }

    [Fact]
    public void Parse_Check_IsTheGatewaysSwitch_NotPassedToConfiguration()
    {
        var arguments = GatewayArguments.Parse(["--config", "proxy.yaml", "--check", "--Urls", "http://127.0.0.1:1"]);

        Assert.True(arguments.Check);
        Assert.Equal(["--Urls", "http://127.0.0.1:1"], arguments.Rest);
        Assert.False(GatewayArguments.Parse(["--Urls", "http://127.0.0.1:1"]).Check);
    }
}
