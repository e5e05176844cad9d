using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SessionGateway.Storage;

namespace SessionGateway.Keys;

/// <summary>
/// A loaded signing key. Holds the private key in memory; ToString shows only the key id and schedule,
/// and <see cref="WritePublicJwk"/> exports public parameters only.
/// </summary>
internal sealed class SigningKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;

    private SigningKey(StoredSigningKey stored, ECDsa? ecdsa, RSA? rsa)
    {
        KeyId = stored.KeyId;
        Algorithm = stored.Algorithm;
        SignsFrom = stored.SignsFrom;
        SignsUntil = stored.SignsUntil;
        VerifyUntil = stored.VerifyUntil;
        _ecdsa = ecdsa;
        _rsa = rsa;
        AlgorithmName = stored.Algorithm.ToString();
        JwsHeader = EncodeJwsHeader(AlgorithmName, KeyId, "JWT");
        AssertionJwsHeader = EncodeJwsHeader(AlgorithmName, KeyId, AssertionJwsType);
    }

    /// <summary>
    /// The <c>typ</c> of a session assertion (explicit typing, RFC 8725 section 3.11): a verifier that requires it can
    /// never take an access token for an assertion, whose header says <c>JWT</c>.
    /// </summary>
    public const string AssertionJwsType = "session-assertion+jwt";

    public string KeyId { get; }

    public SigningAlgorithm Algorithm { get; }

    /// <summary>The JWS <c>alg</c> value; a token's header must name exactly this.</summary>
    public string AlgorithmName { get; }

    /// <summary>
    /// The base64url (ASCII) of this key's JWS header <c>{"alg":…,"kid":…,"typ":"JWT"}</c>: the same for every token it
    /// signs, so it is encoded once.
    /// </summary>
    public ReadOnlyMemory<byte> JwsHeader { get; }

    /// <summary>
    /// The base64url (ASCII) of this key's JWS header for session assertions,
    /// <c>{"alg":…,"kid":…,"typ":"session-assertion+jwt"}</c>, encoded once like <see cref="JwsHeader"/>.
    /// </summary>
    public ReadOnlyMemory<byte> AssertionJwsHeader { get; }

    public DateTimeOffset SignsFrom { get; }

    public DateTimeOffset SignsUntil { get; }

    public DateTimeOffset VerifyUntil { get; }

    private static byte[] EncodeJwsHeader(string algorithm, string keyId, string type)
    {
        var json = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", algorithm);
            writer.WriteString("kid", keyId);
            writer.WriteString("typ", type);
            writer.WriteEndObject();
        }

        return Encoding.ASCII.GetBytes(Base64Url.EncodeToString(json.WrittenSpan));
    }

    /// <summary>Loads a key stored in clear.</summary>
    public static SigningKey Load(StoredSigningKey stored) => Load(stored, stored.PrivateKey);

    /// <summary>Loads <paramref name="stored"/>'s schedule with its private key <paramref name="privateKeyPkcs8"/> (decrypted).</summary>
    public static SigningKey Load(StoredSigningKey stored, ReadOnlySpan<byte> privateKeyPkcs8)
    {
        switch (stored.Algorithm)
        {
            case SigningAlgorithm.ES256:
                var ecdsa = ECDsa.Create();
                try
                {
                    ecdsa.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
                    return new SigningKey(stored, ecdsa, null);
                }
                catch
                {
                    ecdsa.Dispose();
                    throw;
                }

            case SigningAlgorithm.RS256:
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
                    return new SigningKey(stored, null, rsa);
                }
                catch
                {
                    rsa.Dispose();
                    throw;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(stored), stored.Algorithm, "Unknown signing algorithm.");
        }
    }

    /// <summary>Generates fresh key material for a new scheduled key.</summary>
    public static byte[] GeneratePrivateKeyPkcs8(SigningAlgorithm algorithm)
    {
        switch (algorithm)
        {
            case SigningAlgorithm.ES256:
                using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return ecdsa.ExportPkcs8PrivateKey();
                }

            case SigningAlgorithm.RS256:
                using (var rsa = RSA.Create(2048))
                {
                    return rsa.ExportPkcs8PrivateKey();
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown signing algorithm.");
        }
    }

    public int Sign(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (_ecdsa is not null)
        {
            // JWS wants the raw r||s form (IEEE P1363), which is the .NET default for SignData. Low-S only: the
            // verifier refuses the other half, so each token has one signature (see EcdsaLowS).
            var written = _ecdsa.SignData(data, destination, HashAlgorithmName.SHA256);
            EcdsaLowS.Normalize(destination[..written]);
            return written;
        }

        return _rsa!.SignData(data, destination, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Upper bound of a signature's size in bytes.</summary>
    public int MaxSignatureSize => _ecdsa is not null ? 64 : _rsa!.KeySize / 8;

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (_ecdsa is not null)
        {
            return EcdsaLowS.IsLowS(signature) && _ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256);
        }

        return signature.Length == _rsa!.KeySize / 8
            && _rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public void WritePublicJwk(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kid", KeyId);
        writer.WriteString("alg", AlgorithmName);
        writer.WriteString("use", "sig");
        if (_ecdsa is not null)
        {
            var parameters = _ecdsa.ExportParameters(includePrivateParameters: false);
            writer.WriteString("kty", "EC");
            writer.WriteString("crv", "P-256");
            writer.WriteBase64UrlString("x", parameters.Q.X!);
            writer.WriteBase64UrlString("y", parameters.Q.Y!);
        }
        else
        {
            var parameters = _rsa!.ExportParameters(includePrivateParameters: false);
            writer.WriteString("kty", "RSA");
            writer.WriteBase64UrlString("n", parameters.Modulus!);
            writer.WriteBase64UrlString("e", parameters.Exponent!);
        }

        writer.WriteEndObject();
    }

    public override string ToString() =>
        $"SigningKey {{ KeyId = {KeyId}, Algorithm = {AlgorithmName}, SignsFrom = {SignsFrom:O}, SignsUntil = {SignsUntil:O}, VerifyUntil = {VerifyUntil:O} }}";

    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }
}
