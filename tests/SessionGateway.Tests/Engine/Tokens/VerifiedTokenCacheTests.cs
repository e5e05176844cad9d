using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

public sealed class VerifiedTokenCacheTests
{
    private static VerifiedAccessToken Token(string id) =>
        new("u", id, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "h", "{}", new Dictionary<string, string>());

    [Fact]
    public void Add_ManyMoreThanCapacity_StaysBoundedAndKeepsRecentEntries()
    {
        var cache = new VerifiedTokenCache(100);

        for (var i = 0; i < 10_000; i++)
        {
            cache.Add("t" + i, Token("t" + i));
        }

        Assert.True(cache.Count <= 200);
        Assert.True(cache.TryGet("t9999", out _));
        Assert.False(cache.TryGet("t0", out _));
    }

    [Fact]
    public void TryGet_EntryInPreviousGeneration_IsPromotedAndSurvivesNextSwap()
    {
        var cache = new VerifiedTokenCache(10);
        cache.Add("hot", Token("hot"));
        for (var i = 0; i < 9; i++)
        {
            cache.Add("a" + i, Token("a"));
        }

        Assert.True(cache.TryGet("hot", out _)); // previous generation -> promoted
        for (var i = 0; i < 8; i++)
        {
            cache.Add("b" + i, Token("b"));
        }

        Assert.True(cache.TryGet("hot", out _));
    }

    [Fact]
    public void TryGet_BySpan_FindsTheSameEntriesAsByString()
    {
        var cache = new VerifiedTokenCache(10);
        var token = Token("x");
        cache.Add("abc.def.ghi", token);

        Assert.True(cache.TryGet("Cookie: abc.def.ghi; other".AsSpan(8, 11), out var found));
        Assert.Same(token, found);
        Assert.False(cache.TryGet("abc.def.gh".AsSpan(), out _));
        Assert.False(cache.TryGet("abc.def.ghj".AsSpan(), out _));
    }
}
