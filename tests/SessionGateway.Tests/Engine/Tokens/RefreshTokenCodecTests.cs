using System.Security.Cryptography;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

public sealed class RefreshTokenCodecTests
{
    private static readonly RefreshTokenCodec Codec = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void DeriveNext_SameToken_IsDeterministicAndParses()
    {
        var first = Codec.CreateInitial("handle-1");

        var next1 = Codec.DeriveNext(first, "handle-1");
        var next2 = Codec.DeriveNext(first, "handle-1");

        Assert.Equal(next1, next2);
        Assert.NotEqual(first, next1);
        Assert.True(Codec.TryParse(next1, out var handle));
        Assert.Equal("handle-1", handle);
    }

    [Fact]
    public void CreateInitial_TwoCalls_DifferInTheirRandomNonce()
    {
        Assert.NotEqual(Codec.CreateInitial("h"), Codec.CreateInitial("h"));
    }

    [Fact]
    public void TryParse_TokenFromAnotherSecret_IsRejected()
    {
        var other = new RefreshTokenCodec(RandomNumberGenerator.GetBytes(32));

        Assert.False(Codec.TryParse(other.CreateInitial("handle-1"), out _));
    }

    [Fact]
    public void TryParse_HandleSwapped_IsRejected()
    {
        var token = Codec.CreateInitial("handle-1");

        Assert.False(Codec.TryParse(token.Replace("handle-1", "handle-2", StringComparison.Ordinal), out _));
    }
}
