using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SessionGateway.Admin;

namespace SessionGateway.Tests.Admin;

/// <summary>The admin key scheme through ASP.NET Core's own authentication service, as the admin pipeline's policy uses it.</summary>
public sealed class AdminKeyHandlerTests : IDisposable
{
    private const string Key = "0123456789abcdefghijABCDEFGHIJ+/klmnopqrstuvwxyz=";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-27T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ListLoggerProvider _logs = new();
    private readonly ServiceProvider _services;

    public AdminKeyHandlerTests() => _services = Services(new AdminApiKey(Key));

    public void Dispose()
    {
        _services.Dispose();
        _logs.Dispose();
    }

    [Theory]
    [InlineData("Bearer " + Key)]
    [InlineData("bearer " + Key)] // the scheme name is case-insensitive (RFC 9110)
    [InlineData("BEARER  " + Key + " ")]
    public async Task Authenticate_TheKey_Succeeds(string authorization)
    {
        var result = await AuthenticateAsync(authorization);

        Assert.True(result.Succeeded);
        Assert.Equal(AdminApiDefaults.AuthenticationScheme, result.Ticket!.AuthenticationScheme);
        Assert.True(result.Principal!.Identity!.IsAuthenticated);
    }

    [Fact]
    public async Task Authenticate_NoAuthorizationHeader_IsNoResult()
    {
        var result = await AuthenticateAsync();

        Assert.True(result.None);
        Assert.False(result.Succeeded);
    }

    [Theory]
    [InlineData("Bearer " + "1123456789abcdefghijABCDEFGHIJ+/klmnopqrstuvwxyz=")] // first character off
    [InlineData("Bearer " + "0123456789abcdefghijABCDEFGHIJ+/klmnopqrstuvwxyz-")] // last character off
    [InlineData("Bearer " + "0123456789abcdefghijABCDEFGHIJ+/klmnopqrstuvwxyz")]  // a prefix
    [InlineData("Bearer " + Key + Key)]                                              // longer
    [InlineData("Bearer " + "0123456789ABCDEFGHIJABCDEFGHIJ+/KLMNOPQRSTUVWXYZ=")] // another case
    [InlineData("Bearer 0")]
    [InlineData("Bearer ")]                                                           // empty
    [InlineData("Bearer")]
    [InlineData("")]
    [InlineData("Basic " + Key)]                                                      // another scheme
    [InlineData("Token " + Key)]
    [InlineData(Key)]                                                                 // no scheme
    [InlineData("Bearer" + Key)]
    public async Task Authenticate_AnythingButTheKey_Fails(string authorization)
    {
        var result = await AuthenticateAsync(authorization);

        Assert.False(result.Succeeded);
        Assert.NotNull(result.Failure);
        Assert.DoesNotContain(Key, result.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticate_TwoAuthorizationHeaders_FailsEvenWhenOneIsTheKey()
    {
        var result = await AuthenticateAsync("Bearer " + Key, "Bearer " + Key);

        Assert.False(result.Succeeded);
        Assert.NotNull(result.Failure);
    }

    [Fact]
    public async Task Authenticate_NoKeyConfigured_RefusesEverything()
    {
        using var services = Services(key: null);
        var context = new DefaultHttpContext { RequestServices = Request(services) };
        context.Request.Headers.Authorization = "Bearer " + Key;

        var result = await context.AuthenticateAsync(AdminApiDefaults.AuthenticationScheme);

        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Challenge_WithoutAKey_Is401BearerWithAJsonMessage()
    {
        var (context, body) = await ChallengeAsync();

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal("no-store", context.Response.Headers.CacheControl.ToString());
        Assert.Contains("Authorization: Bearer", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Challenge_WithAWrongKey_Is401InvalidToken_AndNeverEchoesTheValue()
    {
        const string guess = "Bearer a-guess-that-is-long-enough-to-look-like-a-key-0000";
        var (context, body) = await ChallengeAsync(guess);

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Equal("unauthorised: wrong admin API key", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
        Assert.DoesNotContain("a-guess", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_LoggedAtMostOnceAMinute_WithTheCount_NeverTheValues()
    {
        for (var i = 0; i < 5; i++)
        {
            await ChallengeAsync("Bearer wrong-" + i);
        }

        var first = Assert.Single(_logs.Lines, l => l.EventId == 5101);
        Assert.Contains("1 refused", first.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(59));
        await ChallengeAsync();
        Assert.Single(_logs.Lines, l => l.EventId == 5101);

        _time.Advance(TimeSpan.FromSeconds(1));
        await ChallengeAsync("Basic " + Key);
        var lines = _logs.Lines.Where(l => l.EventId == 5101).ToList();
        Assert.Equal(2, lines.Count);
        // The four refused after the first line, the one that was silent and this one.
        Assert.Contains("6 refused", lines[1].Message, StringComparison.Ordinal);
        Assert.Contains("not a bearer credential", lines[1].Message, StringComparison.Ordinal);
        Assert.All(_logs.Lines, l => Assert.DoesNotContain("wrong-", l.Message, StringComparison.Ordinal));
        Assert.All(_logs.Lines, l => Assert.DoesNotContain(Key, l.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refusal_IsLoggedWithThePathEscaped_SoAPathCannotForgeLogLines()
    {
        await ChallengeAsync(path: "/admin/users/x\r\nwarn: forged line/sessions");

        var line = Assert.Single(_logs.Lines, l => l.EventId == 5101);
        Assert.DoesNotContain('\n', line.Message);
        Assert.DoesNotContain('\r', line.Message);
        Assert.Contains("/admin/users/x%0D%0Awarn:%20forged%20line/sessions", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdminApiKey_ComparesWholeValuesOnly_AndNeverShowsTheKey()
    {
        var key = new AdminApiKey(Key);

        Assert.True(key.Matches(Key));
        Assert.False(key.Matches(Key.AsSpan(0, Key.Length - 1)));
        Assert.False(key.Matches(Key + "\0"));
        Assert.False(key.Matches(""));
        Assert.False(key.Matches(new string('x', 100_000)));
        Assert.DoesNotContain(Key, key.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new AdminApiKey(""));
    }

    /// <summary>A request's services, as the host gives each request a scope (the handler provider keeps one handler per scheme and scope).</summary>
    private static IServiceProvider Request(ServiceProvider services) => services.CreateScope().ServiceProvider;

    private ServiceProvider Services(AdminApiKey? key)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(_logs));
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<AdminKeyFailures>();
        services.AddAuthentication()
            .AddScheme<AdminKeyOptions, AdminKeyHandler>(AdminApiDefaults.AuthenticationScheme, options => options.Key = key);
        return services.BuildServiceProvider();
    }

    private Task<AuthenticateResult> AuthenticateAsync(params string[] authorization)
    {
        var context = new DefaultHttpContext { RequestServices = Request(_services) };
        if (authorization.Length > 0)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return context.AuthenticateAsync(AdminApiDefaults.AuthenticationScheme);
    }

    private async Task<(HttpContext Context, string Body)> ChallengeAsync(string? authorization = null, string path = "/admin/events")
    {
        var context = new DefaultHttpContext { RequestServices = Request(_services) };
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        context.Request.Method = "GET";
        context.Request.Path = path;
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        using var body = new MemoryStream();
        context.Response.Body = body;
        await context.ChallengeAsync(AdminApiDefaults.AuthenticationScheme);
        return (context, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
