using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tokens;

/// <summary>Mints access tokens (compact JWS) with the key ring's current signer.</summary>
internal sealed class AccessTokenIssuer(SigningKeyRing keyRing, SessionEngineOptions options)
{
    public MintedAccessToken Mint(
        string userId,
        string sessionHandle,
        string refreshTokenHash1,
        string? antiCsrfToken,
        string customClaimsJson,
        DateTimeOffset now)
    {
        var key = keyRing.GetSigner(now)
            ?? throw new InvalidOperationException("No signing key is loaded; call SessionEngine.InitializeAsync at startup.");

        var issuedAt = now.ToUnixTimeSeconds();
        var expires = issuedAt + (long)options.AccessTokenLifetime.TotalSeconds;

        var header = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(header))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", key.AlgorithmName);
            writer.WriteString("kid", key.KeyId);
            writer.WriteString("typ", "JWT");
            writer.WriteEndObject();
        }

        var payload = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(payload))
        using (var claims = JsonDocument.Parse(customClaimsJson))
        {
            writer.WriteStartObject();
            writer.WriteString(ReservedClaims.Subject, userId);
            writer.WriteNumber(ReservedClaims.IssuedAt, issuedAt);
            writer.WriteNumber(ReservedClaims.Expires, expires);
            writer.WriteString(ReservedClaims.SessionHandle, sessionHandle);
            writer.WriteString(ReservedClaims.RefreshTokenHash1, refreshTokenHash1);
            writer.WriteNull(ReservedClaims.ParentRefreshTokenHash1);
            if (antiCsrfToken is null)
            {
                writer.WriteNull(ReservedClaims.AntiCsrfToken);
            }
            else
            {
                writer.WriteString(ReservedClaims.AntiCsrfToken, antiCsrfToken);
            }

            writer.WriteString(ReservedClaims.Issuer, options.Issuer);
            foreach (var claim in claims.RootElement.EnumerateObject())
            {
                // Stored claims were filtered at creation; filter again so a hand-edited row cannot override.
                if (!ReservedClaims.IsReserved(claim.Name))
                {
                    claim.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        var signingInput = string.Concat(Base64Url.EncodeToString(header.WrittenSpan), ".", Base64Url.EncodeToString(payload.WrittenSpan));
        var inputBytes = Encoding.ASCII.GetBytes(signingInput);
        Span<byte> signature = stackalloc byte[key.MaxSignatureSize];
        var written = key.Sign(inputBytes, signature);
        var token = string.Concat(signingInput, ".", Base64Url.EncodeToString(signature[..written]));
        return new MintedAccessToken(token, Encoding.UTF8.GetString(payload.WrittenSpan), DateTimeOffset.FromUnixTimeSeconds(expires));
    }
}
