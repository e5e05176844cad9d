using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SessionGateway.Authentication;
using SessionGateway.Tests.Engine;

namespace SessionGateway.Tests.Authentication;

public sealed class SessionAuthenticatorTests
{
    [Fact]
    public async Task Authenticate_TokenSeenBefore_IsTheSameSessionAndAllocatesNothing()
    {
        using var harness = await EngineHarness.StartAsync();
        var session = (await harness.Engine.CreateAsync("alice", null, withAntiCsrfToken: false, CancellationToken.None)).Value!;
        var authenticator = new SessionAuthenticator(new Monitor(new SessionAuthenticationOptions()), harness.Engine);
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = $"theme=dark; sAccessToken={session.AccessToken}; lang=en";

        // The first request verifies the signature and builds the principal; later ones find both.
        var first = authenticator.Authenticate(context);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = authenticator.Authenticate(context);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(second.Succeeded);
        Assert.Same(first.Principal, second.Principal);
        Assert.Equal("alice", second.Principal!.Identity!.Name);
        Assert.Equal(0, allocated);

        // The cache never outlives the token's checks: expired, it is refused like an uncached one.
        harness.Time.Advance(harness.Options.AccessTokenLifetime + TimeSpan.FromMinutes(1));
        var expired = authenticator.Authenticate(context);
        Assert.False(expired.Succeeded);
        Assert.NotNull(expired.Failure);
    }

    private sealed class Monitor(SessionAuthenticationOptions value) : IOptionsMonitor<SessionAuthenticationOptions>
    {
        public SessionAuthenticationOptions CurrentValue => value;

        public SessionAuthenticationOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<SessionAuthenticationOptions, string?> listener) => null;
    }
}
