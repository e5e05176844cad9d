using Microsoft.Extensions.Configuration;
using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("00:15:00", 900_000)]
    [InlineData("30.00:00:00", 2_592_000_000)]
    [InlineData("15m", 900_000)]
    [InlineData("30s", 30_000)]
    [InlineData("250ms", 250)]
    [InlineData("12h", 43_200_000)]
    [InlineData("30d", 2_592_000_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData(" 10S ", 10_000)]
    public void TryParse_TimeSpanOrShorthand_Parses(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("15x")]
    [InlineData("m")]
    [InlineData("-5m")]
    [InlineData("99999999999d")]
    public void TryParse_Garbage_Fails(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void TryBind_ShorthandAndTimeSpanStrings_BindToTheirDurations()
    {
        var configuration = Session(new Dictionary<string, string?>
        {
            ["Session:AccessTokenLifetime"] = "15m",
            ["Session:RefreshTokenLifetime"] = "30.00:00:00",
            ["Session:Webhooks:Timeout"] = "250ms",
            ["Session:RateLimits:Login:Window"] = "1.5h",
            ["Session:Store:BusyTimeout"] = " 10S ",
        });

        var settings = GatewayConfigValidator.TryBind(configuration)!;

        Assert.Equal(TimeSpan.FromMinutes(15), settings.AccessTokenLifetime);
        Assert.Equal(TimeSpan.FromDays(30), settings.RefreshTokenLifetime);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.Webhooks.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(90), settings.RateLimits.Login.Window);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Store.BusyTimeout);
    }

    [Fact]
    public void TryBind_ATextSettingThatReadsLikeADuration_IsLeftAsWritten()
    {
        var configuration = Session(new Dictionary<string, string?>
        {
            ["Session:AccessTokenLifetime"] = "15m",
            ["Session:Issuer"] = "30s",
            ["Session:Headers:Claims:role"] = "12h",
        });

        var settings = GatewayConfigValidator.TryBind(configuration)!;

        Assert.Equal("30s", settings.Issuer);
        Assert.Equal("12h", settings.Headers.Claims["role"]);
    }

    [Fact]
    public void TryBind_AShorthandThatIsNoDuration_FailsNamingTheKey()
    {
        var configuration = Session(new Dictionary<string, string?> { ["Session:Webhooks:Timeout"] = "15x" });

        Assert.Null(GatewayConfigValidator.TryBind(configuration, mayFail: true));
        var error = Assert.Throws<InvalidOperationException>(() => GatewayConfigValidator.TryBind(configuration));
        Assert.Contains("Session:Webhooks:Timeout", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Session(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
