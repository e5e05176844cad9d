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
    public async Task CreatedSession_HandleIs16RandomBytes_NonceAndMacAre32()
    {
        // ASVS 3.2.2: at least 64 bits of entropy in a session token. The handle (16 bytes) names the session; the
        // nonce (32 random bytes for a new session) is what makes the token unguessable; the MAC binds both.
        using var harness = await SessionGateway.Tests.Engine.EngineHarness.StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, CancellationToken.None);

        Assert.Equal(16, System.Buffers.Text.Base64Url.DecodeFromChars(issued.SessionHandle).Length);
        var parts = issued.RefreshToken.Split('.');
        Assert.Equal(["v1", issued.SessionHandle], parts[..2]);
        Assert.Equal(32, System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]).Length);
        Assert.Equal(32, System.Buffers.Text.Base64Url.DecodeFromChars(parts[3]).Length);
        Assert.NotEqual(parts[2], (await harness.Engine.CreateLiveAsync("user-1", null, false, CancellationToken.None)).RefreshToken.Split('.')[2]);
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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryParse_MacRespelledInItsSpareBits_IsRejected(int spareBits)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var token = Codec.CreateInitial("handle-1");
        Assert.True(Codec.TryParse(token, out _));

        // A 32-byte MAC is 43 characters; the last one carries 2 bits that belong to no byte, so it decodes alike.
        var respelled = token[..^1] + alphabet[alphabet.IndexOf(token[^1], StringComparison.Ordinal) | spareBits];

        Assert.NotEqual(token, respelled);
        Assert.False(Codec.TryParse(respelled, out _));
    }
}
