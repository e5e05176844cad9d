using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

public sealed class VerifiedTokenCacheTests
{
    private const long Plenty = 1L << 30;

    private static VerifiedAccessToken Token(string id, string payload = "{}") =>
        new("u", id, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "h", payload, new Dictionary<string, string>());

    [Fact]
    public void Add_ManyMoreThanCapacity_StaysBoundedAndKeepsRecentEntries()
    {
        var cache = new VerifiedTokenCache(100, Plenty);

        for (var i = 0; i < 10_000; i++)
        {
            cache.Add("t" + i, Token("t" + i));
        }

        Assert.True(cache.Count <= 200);
        Assert.True(cache.TryGet("t9999", out _));
        Assert.False(cache.TryGet("t0", out _));
    }

    [Fact]
    public void Add_LargeEntriesFarBeyondTheByteBudget_AccountedSizeStaysUnderIt()
    {
        const long budget = 256 * 1024;
        var cache = new VerifiedTokenCache(1_000_000, budget);
        var payload = new string('p', 4096);

        for (var i = 0; i < 5_000; i++)
        {
            var token = i + new string('t', 8192);
            cache.Add(token, Token("t" + i, payload));
            Assert.InRange(cache.Bytes, 0, budget);
        }

        // About 25 KB an entry: a few per generation, the most recent still there.
        Assert.InRange(cache.Count, 2, 20);
        Assert.True(cache.TryGet(4999 + new string('t', 8192), out _));
        Assert.True(cache.Bytes > budget / 4);
    }

    [Fact]
    public void Add_EntryLargerThanHalfTheBudget_IsNotCachedAndEvictsNothing()
    {
        var cache = new VerifiedTokenCache(100, 64 * 1024);
        cache.Add("small", Token("small"));

        cache.Add("huge", Token("huge", new string('p', 32 * 1024)));

        Assert.False(cache.TryGet("huge", out _));
        Assert.True(cache.TryGet("small", out _));
    }

    [Fact]
    public void EntryBytes_CountsTheKeyThePayloadAndTheClaims()
    {
        var bare = VerifiedTokenCache.EntryBytes("abc", Token("x"));
        var longerKey = VerifiedTokenCache.EntryBytes(new string('a', 1003), Token("x"));
        var withClaim = VerifiedTokenCache.EntryBytes("abc", Token("x") with
        {
            CustomClaims = new Dictionary<string, string> { ["role"] = new('r', 500) },
        });

        Assert.True(longerKey - bare >= 2000);
        Assert.True(withClaim - bare >= 2000, "a claim is held twice: in the token and in the principal");
    }

    [Fact]
    public void Clear_ForgetsEntriesAndTheirBytes()
    {
        var cache = new VerifiedTokenCache(10, Plenty);
        cache.Add("a", Token("a"));

        cache.Clear();

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
        Assert.False(cache.TryGet("a", out _));
    }

    [Fact]
    public void TryGet_EntryInPreviousGeneration_IsPromotedAndSurvivesNextSwap()
    {
        var cache = new VerifiedTokenCache(10, Plenty);
        cache.Add("hot", Token("hot"));
        for (var i = 0; i < 9; i++)
        {
            cache.Add("a" + i, Token("a"));
        }

        cache.Add("swap", Token("swap")); // the 11th entry starts a new generation
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
        var cache = new VerifiedTokenCache(10, Plenty);
        var token = Token("x");
        cache.Add("abc.def.ghi", token);

        Assert.True(cache.TryGet("Cookie: abc.def.ghi; other".AsSpan(8, 11), out var found));
        Assert.Same(token, found);
        Assert.False(cache.TryGet("abc.def.gh".AsSpan(), out _));
        Assert.False(cache.TryGet("abc.def.ghj".AsSpan(), out _));
    }
}
