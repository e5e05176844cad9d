using Npgsql;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Storage;

/// <summary>The PostgreSQL store's text handling, which needs no server.</summary>
public sealed class PostgresStoreTextTests
{
    [Theory]
    [InlineData("")]
    [InlineData("1712")]
    [InlineData("x handle")]
    [InlineData("1712 ")]
    [InlineData("99999999999999999999 h")]
    public void TryParseNotification_Garbage_IsIgnored(string payload)
    {
        Assert.False(PostgresSessionStore.TryParseNotification(payload, out _));
    }

    [Fact]
    public void BuildConnectionString_AddsTimeoutsOnlyWhereNotGiven()
    {
        var defaults = new NpgsqlConnectionStringBuilder(PostgresSessionStore.BuildConnectionString("Host=db", TimeSpan.FromMilliseconds(200)));
        var given = new NpgsqlConnectionStringBuilder(PostgresSessionStore.BuildConnectionString("Host=db;Timeout=9;Command Timeout=7", TimeSpan.FromSeconds(5)));

        // Found by review: Npgsql refuses a connect timeout over 1024 s, and the start failed naming no key.
        var longest = new NpgsqlConnectionStringBuilder(PostgresSessionStore.BuildConnectionString("Host=db", TimeSpan.FromDays(24)));

        Assert.Equal((1, 1), (defaults.Timeout, defaults.CommandTimeout));
        Assert.Equal((9, 7), (given.Timeout, given.CommandTimeout));
        Assert.Equal((1024, 2_073_600), (longest.Timeout, longest.CommandTimeout));
    }

    [Fact]
    public void Describe_NeverPrintsThePassword()
    {
        var text = PostgresSessionStore.Describe("Host=db.internal;Port=6432;Database=sessions;Username=gw;Password=hunter2");

        Assert.Equal("PostgreSQL at db.internal:6432, database 'sessions'", text);
    }
}
