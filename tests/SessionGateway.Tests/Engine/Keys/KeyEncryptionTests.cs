using System.Security.Cryptography;
using SessionGateway.Keys;

namespace SessionGateway.Tests.Engine.Keys;

public sealed class KeyEncryptionTests
{
    private static readonly byte[] Kek = RandomNumberGenerator.GetBytes(KeyEncryption.KeyLength);

    [Fact]
    public void Seal_ThenOpenForTheSamePurpose_GivesThePlaintext_WithAFreshNonceEachTime()
    {
        var encryption = new KeyEncryption(Kek, []);
        var secret = RandomNumberGenerator.GetBytes(32);

        var first = encryption.Seal(secret, "secret:a");
        var second = encryption.Seal(secret, "secret:a");

        Assert.NotEqual(first, second);
        Assert.Equal(secret, encryption.Open(first, "secret:a").Plaintext);
        Assert.Equal(SealState.Current, encryption.Open(second, "secret:a").State);
    }

    [Fact]
    public void Open_ForAnotherPurpose_OrAfterAnyByteChanged_IsCorrupt()
    {
        var encryption = new KeyEncryption(Kek, []);
        var sealedValue = encryption.Seal(RandomNumberGenerator.GetBytes(32), "signing-key:a:ES256");

        Assert.Equal(SealState.Corrupt, encryption.Open(sealedValue, "signing-key:b:ES256").State);
        for (var i = 12; i < sealedValue.Length; i++) // past the marker and key id: nonce, ciphertext, tag
        {
            var altered = sealedValue.ToArray();
            altered[i] ^= 1;
            Assert.Equal(SealState.Corrupt, encryption.Open(altered, "signing-key:a:ES256").State);
        }
    }

    [Fact]
    public void Open_ClearValues_AreRecognisedAsClear()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        var secret = "SGK\u0001"u8.ToArray().Concat(RandomNumberGenerator.GetBytes(28)).ToArray(); // a 32-byte secret that happens to start like a sealed value

        Assert.Equal(SealState.Clear, new KeyEncryption(Kek, []).Open(pkcs8, "p").State);
        Assert.Equal(SealState.Clear, new KeyEncryption(Kek, []).Open(secret, "p").State);
        Assert.Equal(SealState.Clear, KeyEncryption.None.Open(pkcs8, "p").State);
        Assert.Equal(pkcs8, KeyEncryption.None.Seal(pkcs8, "p"));
    }

    [Fact]
    public void Open_WithoutKek_OrUnderAnUnknownKek_SaysSoAndNamesTheKeyId()
    {
        var sealedValue = new KeyEncryption(Kek, []).Seal([1, 2, 3], "p");
        var other = new KeyEncryption(RandomNumberGenerator.GetBytes(32), []);

        Assert.Equal(SealState.NoKey, KeyEncryption.None.Open(sealedValue, "p").State);
        var unknown = other.Open(sealedValue, "p");
        Assert.Equal(SealState.UnknownKey, unknown.State);
        Assert.Equal(new KeyEncryption(Kek, []).CurrentKeyId, unknown.KeyId);
        Assert.Null(unknown.Plaintext);
    }

    [Fact]
    public void Open_UnderAPreviousKek_IsReadableAndMarkedPrevious()
    {
        var sealedValue = new KeyEncryption(Kek, []).Seal([1, 2, 3], "p");

        var opened = new KeyEncryption(RandomNumberGenerator.GetBytes(32), [Kek]).Open(sealedValue, "p");

        Assert.Equal(SealState.Previous, opened.State);
        Assert.Equal([1, 2, 3], opened.Plaintext);
    }

    [Theory]
    [InlineData(32, false, true)]
    [InlineData(32, true, true)]
    [InlineData(31, false, false)]
    [InlineData(33, false, false)]
    [InlineData(16, false, false)]
    public void ParseKey_AcceptsExactly32BytesOfBase64(int length, bool urlAlphabet, bool accepted)
    {
        var bytes = Enumerable.Repeat((byte)0xfb, length).ToArray(); // encodes with '+' and '/'
        var text = Convert.ToBase64String(bytes);
        if (urlAlphabet)
        {
            text = text.Replace('+', '-').Replace('/', '_').TrimEnd('=');
        }

        Assert.Equal(accepted ? bytes : null, KeyEncryption.ParseKey(" " + text + "\n"));
    }

    [Fact]
    public void ParseKey_NotBase64_IsNull()
    {
        Assert.Null(KeyEncryption.ParseKey("not a key at all, not base64!"));
        Assert.Null(KeyEncryption.ParseKey(""));
    }

    [Fact]
    public void ToString_ShowsNoKeyMaterial()
    {
        var encryption = new KeyEncryption(Kek, []);

        Assert.DoesNotContain(Convert.ToBase64String(Kek), encryption.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(Kek), encryption.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
