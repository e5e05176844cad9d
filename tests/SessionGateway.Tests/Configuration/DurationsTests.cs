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
    public void Binder_WithConverterRegistered_BindsShorthandAndTimeSpanStrings()
    {
        Durations.RegisterConverter();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Brief"] = "15m", ["Lengthy"] = "00:00:30" })
            .Build();

        var bound = configuration.Get<TwoDurations>()!;

        Assert.Equal(TimeSpan.FromMinutes(15), bound.Brief);
        Assert.Equal(TimeSpan.FromSeconds(30), bound.Lengthy);
    }

    public sealed record TwoDurations
    {
        public TimeSpan Brief { get; init; }

        public TimeSpan Lengthy { get; init; }
    }
}
