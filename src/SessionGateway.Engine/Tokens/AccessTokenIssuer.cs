using System.Buffers;
using System.Text;
using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tokens;

/// <summary>
/// Mints access tokens (compact JWS) with the key ring's current signer. The header is the signer's, encoded once
/// (<see cref="SigningKey.JwsHeader"/>); the payload is written with a JSON writer kept per thread
/// (<see cref="JwsPayloadWriter"/>), and the token is assembled, signed and encoded in one pooled buffer
/// (<see cref="CompactJws"/>), so a mint allocates little besides the token and payload text.
/// </summary>
internal sealed class AccessTokenIssuer(SigningKeyRing keyRing, SessionEngineOptions options)
{
    public MintedAccessToken Mint(
        string userId,
        string sessionHandle,
        string refreshTokenHash1,
        string? antiCsrfToken,
        string customClaimsJson,
        DateTimeOffset now,
        DateTimeOffset? notAfter = null)
    {
        var key = keyRing.GetSigner(now)
            ?? throw new InvalidOperationException("No signing key is loaded; call SessionEngine.InitializeAsync at startup.");

        var issuedAt = now.ToUnixTimeSeconds();
        var expires = issuedAt + (long)options.AccessTokenLifetime.TotalSeconds;
        // Never past the session's own end (its absolute lifetime): a session that is over has no valid token left, so
        // ending it needs no revocation and "not live" means what it says.
        if (notAfter is { } end && end.ToUnixTimeSeconds() < expires)
        {
            expires = Math.Max(issuedAt, end.ToUnixTimeSeconds());
        }

        var payloadWriter = JwsPayloadWriter.Current;
        var writer = payloadWriter.Start();
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
        WriteCustomClaims(writer, customClaimsJson);
        writer.WriteEndObject();
        writer.Flush();
        var payload = payloadWriter.Written;

        return new MintedAccessToken(
            CompactJws.Sign(key, key.JwsHeader.Span, payload),
            Encoding.UTF8.GetString(payload),
            DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    /// <summary>
    /// Copies the stored custom claims after the reserved ones, each value as stored (it was written by the same JSON
    /// writer at creation). Reserved names are dropped again, so a hand-edited row cannot override them; a row that is
    /// not a JSON object throws, as parsing it did before.
    /// </summary>
    private static void WriteCustomClaims(Utf8JsonWriter writer, string customClaimsJson)
    {
        if (customClaimsJson is "{}")
        {
            return;
        }

        var maxBytes = Encoding.UTF8.GetMaxByteCount(customClaimsJson.Length);
        byte[]? rented = null;
        var utf8 = maxBytes <= 1024 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var json = utf8[..Encoding.UTF8.GetBytes(customClaimsJson, utf8)];
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("Stored custom claims are not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (!ReservedClaims.IsReserved(name))
                {
                    writer.WritePropertyName(name);
                    // The reader has checked the value's syntax while skipping it.
                    writer.WriteRawValue(json[start..(int)reader.BytesConsumed], skipInputValidation: true);
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new JsonException("Stored custom claims are not a JSON object.");
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
